"""Spaced recall: when a key point comes back is FSRS's answer, kept per person and question."""

import datetime as dt
import uuid

import fsrs
import pytest
import time_machine

from pocketmentor.conftest import NOW, OSLO, signed_in, week_url
from pocketmentor.learning import selectors
from pocketmentor.learning.models import RecallAnswer, RecallCard
from pocketmentor.learning.services import (
    KeyConflict,
    RecallNotDue,
    recall_answer,
    response_record,
)
from pocketmentor.programs.models import RecallQuestion

Rating = RecallAnswer.Rating


def scheduler() -> fsrs.Scheduler:
    """The package's own scheduler, configured as the app's: days, no minute steps, no fuzz."""
    return fsrs.Scheduler(
        learning_steps=(), relearning_steps=(), maximum_interval=365, enable_fuzzing=False
    )


@pytest.fixture
def enrollment(ann):
    return ann.enrollments.get()


@pytest.fixture
def unit1(enrollment):
    return enrollment.program.units.get(number=1)


@pytest.fixture
def point(unit1):
    return RecallQuestion.objects.create(
        unit=unit1, position=1, prompt="What was the point of asking first?", answer="Listening."
    )


@pytest.fixture
def quiz_point(unit1):
    return RecallQuestion.objects.create(
        unit=unit1, position=2, activity=unit1.activities.get(kind="quiz")
    )


def start(enrollment, unit):
    """The participant does something in the unit: its key points are scheduled."""
    response_record(
        enrollment=enrollment,
        activity=unit.activities.get(kind="task"),
        key=uuid.uuid4(),
    )


def test_a_first_answer_in_a_unit_makes_its_points_due_when_the_next_week_opens(
    enrollment, unit1, point, quiz_point
):
    start(enrollment, unit1)
    cards = RecallCard.objects.filter(enrollment=enrollment)
    assert {c.question_id for c in cards} == {point.pk, quiz_point.pk}
    assert {c.due for c in cards} == {dt.datetime(2026, 3, 9, 7, 30, tzinfo=OSLO)}
    start(enrollment, unit1)  # another answer in the unit schedules nothing again
    assert RecallCard.objects.filter(enrollment=enrollment).count() == 2


def test_nothing_is_due_for_a_participant_who_never_did_the_unit(enrollment, point):
    assert selectors.recall_items(enrollment=enrollment) == []


@pytest.mark.parametrize("rating", list(Rating))
def test_the_next_due_date_is_what_fsrs_schedules_for_the_rating(enrollment, unit1, point, rating):
    start(enrollment, unit1)
    stored, changed = recall_answer(
        enrollment=enrollment, question=point, key=uuid.uuid4(), rating=rating
    )
    card = RecallCard.objects.get(enrollment=enrollment, question=point)
    now = NOW.astimezone(dt.UTC)
    expected, _ = scheduler().review_card(
        fsrs.Card(due=dt.datetime(2026, 3, 9, 6, 30, tzinfo=dt.UTC)), fsrs.Rating(rating), now
    )
    assert changed
    assert abs(card.due - expected.due) < dt.timedelta(seconds=1)
    assert card.stability == pytest.approx(expected.stability)
    assert card.difficulty == pytest.approx(expected.difficulty)
    assert card.state == expected.state
    assert (stored.repetition, stored.rating, stored.due) == (1, rating, card.due)
    assert stored.remembered == (rating >= Rating.GOOD)


def test_three_recalls_over_weeks_follow_fsrs_from_each_stored_state(enrollment, unit1, point):
    start(enrollment, unit1)
    expected = fsrs.Card(due=dt.datetime(2026, 3, 9, 6, 30, tzinfo=dt.UTC))
    moments = [NOW, NOW + dt.timedelta(days=7), NOW + dt.timedelta(days=28)]
    ratings = [Rating.GOOD, Rating.AGAIN, Rating.EASY]
    for moment, rating in zip(moments, ratings, strict=True):
        with time_machine.travel(moment, tick=False):
            answer, _ = recall_answer(
                enrollment=enrollment, question=point, key=uuid.uuid4(), rating=rating
            )
            expected, _ = scheduler().review_card(
                expected, fsrs.Rating(rating), moment.astimezone(dt.UTC)
            )
        card = RecallCard.objects.get(enrollment=enrollment, question=point)
        assert card.due == expected.due
        assert card.stability == pytest.approx(expected.stability)
        assert answer.repetition == card.reps
    assert list(point.answers.values_list("repetition", "remembered")) == [
        (1, True),
        (2, False),
        (3, True),
    ]


def test_a_quiz_used_for_recall_is_good_when_right_and_again_when_wrong(
    enrollment, unit1, quiz_point
):
    start(enrollment, unit1)
    right, wrong = quiz_point.activity.options.order_by("position")
    answer, _ = recall_answer(
        enrollment=enrollment, question=quiz_point, key=uuid.uuid4(), option_ids=[wrong.pk]
    )
    assert (answer.rating, answer.remembered) == (Rating.AGAIN, False)
    with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
        answer, _ = recall_answer(
            enrollment=enrollment, question=quiz_point, key=uuid.uuid4(), option_ids=[right.pk]
        )
    assert (answer.rating, answer.remembered, answer.repetition) == (Rating.GOOD, True, 2)


def test_a_replayed_key_stores_one_recall_and_a_second_answer_in_the_week_is_refused(
    enrollment, unit1, point
):
    start(enrollment, unit1)
    key = uuid.uuid4()
    first, changed = recall_answer(enrollment=enrollment, question=point, key=key, rating=3)
    again, changed_again = recall_answer(enrollment=enrollment, question=point, key=key, rating=3)
    assert changed and not changed_again and first.pk == again.pk
    with pytest.raises(RecallNotDue):
        recall_answer(enrollment=enrollment, question=point, key=uuid.uuid4(), rating=1)
    assert RecallAnswer.objects.count() == 1


def test_a_key_of_another_answer_is_refused(enrollment, unit1, point, quiz_point):
    start(enrollment, unit1)
    key = uuid.uuid4()
    recall_answer(enrollment=enrollment, question=point, key=key, rating=3)
    with pytest.raises(KeyConflict):
        recall_answer(enrollment=enrollment, question=quiz_point, key=key, option_ids=[])


def test_this_week_shows_due_points_then_keeps_an_answered_one_as_done(
    enrollment, unit1, point, quiz_point
):
    start(enrollment, unit1)
    items = selectors.recall_items(enrollment=enrollment)
    assert [(i.question.pk, i.done) for i in items] == [(point.pk, False), (quiz_point.pk, False)]
    assert selectors.recall_due_count(enrollment=enrollment, moment=NOW) == 2
    recall_answer(enrollment=enrollment, question=point, key=uuid.uuid4(), rating=Rating.GOOD)
    items = selectors.recall_items(enrollment=enrollment)
    assert [(i.question.pk, i.done, i.remembered) for i in items] == [
        (point.pk, True, True),
        (quiz_point.pk, False, False),
    ]
    assert selectors.recall_due_count(enrollment=enrollment, moment=NOW) == 1
    # Good on the first recall: due two days later, so asked again when week 3 opens.
    with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
        items = selectors.recall_items(enrollment=enrollment)
    assert [(i.question.pk, i.done) for i in items] == [(point.pk, False), (quiz_point.pk, False)]


def test_points_of_the_week_under_way_are_not_asked_yet(enrollment, point):
    unit2 = enrollment.program.units.get(number=2)
    RecallQuestion.objects.create(unit=unit2, position=1, prompt="Week 2's point?")
    start(enrollment, unit2)
    assert selectors.recall_items(enrollment=enrollment) == []


def test_at_most_three_points_are_shown(enrollment, unit1):
    for position in range(1, 6):
        RecallQuestion.objects.create(unit=unit1, position=position, prompt=f"Point {position}?")
    start(enrollment, unit1)
    assert len(selectors.recall_items(enrollment=enrollment)) == 3
    assert selectors.recall_due_count(enrollment=enrollment, moment=NOW) == 3


# The participant's page --------------------------------------------------------------------


def recall_url(program, question) -> str:
    return week_url(program, f"recall/{question.pk}/")


def test_this_week_asks_due_points_at_the_top_and_a_rating_press_answers(
    ann, enrollment, unit1, point, quiz_point
):
    start(enrollment, unit1)
    client = signed_in(ann)
    page = client.get(week_url(enrollment.program)).content.decode()
    assert page.index('id="recall-title"') < page.index('class="cards"')
    assert "What was the point of asking first?" in page and "Which is best?" in page
    key = str(uuid.uuid4())
    data = {f"r{point.pk}-key": key, f"r{point.pk}-rating": "3"}
    response = client.post(recall_url(enrollment.program, point), data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/#recall-{point.pk}")
    assert client.post(recall_url(enrollment.program, point), data).status_code == 302  # replay
    assert RecallAnswer.objects.get().key == uuid.UUID(key)
    page = client.get(week_url(enrollment.program)).content.decode()
    assert "Du husket det." in page  # the kept page was rendered afresh, in Norwegian


def test_an_answered_point_says_it_comes_back_no_sooner_than_next_week(
    ann, enrollment, unit1, point
):
    """FSRS gives Good on a first recall two days (13 March); the point is asked again in the
    week that opens on Monday 16 March, and that is the date the page gives."""
    start(enrollment, unit1)
    recall_answer(enrollment=enrollment, question=point, key=uuid.uuid4(), rating=Rating.GOOD)
    assert RecallCard.objects.get(question=point).due.astimezone(OSLO).day == 13
    page = signed_in(ann).get(week_url(enrollment.program)).content.decode()
    assert "Det kommer tilbake rundt 16. mars 2026." in page
    assert "13. mars" not in page


def test_a_recall_from_the_outbox_gets_its_section_back(ann, enrollment, unit1, quiz_point):
    start(enrollment, unit1)
    wrong = quiz_point.activity.options.get(is_correct=False)
    response = signed_in(ann).post(
        recall_url(enrollment.program, quiz_point),
        {f"r{quiz_point.pk}-key": str(uuid.uuid4()), f"r{quiz_point.pk}-choice": wrong.pk},
        headers={"HX-Request": "true", "X-Writer": str(ann.pk)},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="recall-{quiz_point.pk}"' in html and "Ask" in html  # the right answer shown
    assert RecallAnswer.objects.get().remembered is False


def test_a_recall_without_an_answer_is_refused_in_the_persons_language(bob, unit1, point):
    enrollment = bob.enrollments.get()
    start(enrollment, unit1)
    response = signed_in(bob).post(
        recall_url(enrollment.program, point), {f"r{point.pk}-key": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    assert "Choose how well you remembered it." in response.content.decode()
    assert not RecallAnswer.objects.exists()


def test_another_organizations_point_is_not_found(outsider, point):
    program = outsider.enrollments.get().program
    response = signed_in(outsider).post(
        recall_url(program, point),
        {f"r{point.pk}-key": str(uuid.uuid4()), f"r{point.pk}-rating": "3"},
    )
    assert response.status_code == 404
