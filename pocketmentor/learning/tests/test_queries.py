"""Each participant page runs a fixed number of queries, whatever the size of the data."""

import datetime as dt
import re
from uuid import uuid4

import pytest
import time_machine
from django.core.cache import caches
from django.utils import timezone

from pocketmentor.conftest import answer, enroll, make_person, make_unit, signed_in, week_url
from pocketmentor.learning import shared
from pocketmentor.learning.pages import touch
from pocketmentor.learning.services import feedback_give, response_record
from pocketmentor.programs.models import RecallQuestion

# session with its person, enrollment (with the versions that key a kept unit page,
# learning/pages.py), then the page's own reads: the participant's answers come with their
# chosen options in one query, their feedback in one more only when any has some; this week reads
# the key points due (one query, and the program's key points and their quizzes' options
# when they are not kept). Measured with nothing kept: what the program's participants share
# (the unit's content, seminars, key points, rendered parts) is read and rendered afresh.
BUDGETS = {"": 9, "week/1/": 8, "progress/": 4, "reflections/": 4, "group/": 5}
RECALL_DUE = 11  # this week with key points due, one of them a quiz
KEPT = 2  # a kept unit page: session with its person, and those versions
# A first view once another participant has viewed the unit: session with its person,
# enrollment, their responses and their key points due.
SHARED_KEPT = 4


def grow(program, org, groups):
    """Add units, participants and their responses."""
    for number in range(4, 12):
        make_unit(program, number)
    for n in range(20):
        user = make_person(f"p{n}@fjordvik.example", org=org, role="participant")
        enrollment = enroll(user, program, groups[n % 2])
        for unit in program.units.filter(number__lte=2):
            for activity in unit.activities.all():
                answer(
                    enrollment, activity, text="x", value=3 if activity.kind == "poll" else None,
                    audiences=["group"],
                )  # fmt: skip


@pytest.mark.parametrize(("suffix", "budget"), BUDGETS.items())
def test_participant_page_query_count_does_not_grow(
    ann, org, program, groups, django_assert_num_queries, suffix, budget
):
    enrollment = ann.enrollments.get()
    for activity in program.units.get(number=1).activities.all():
        answer(enrollment, activity, text="mine", value=2 if activity.kind == "poll" else None)
    mate = make_person("mate@fjordvik.example", org=org, role="participant")
    reflection = program.units.get(number=2).activities.get(kind="reflection")
    answer(enroll(mate, program, groups[0]), reflection, text="ours", audiences=["group"])
    client = signed_in(ann)
    client.get(week_url(program, suffix))  # a first view of a unit records it (insights)
    forget()  # measure the page rendered, poll results counted afresh: the dearest case
    with django_assert_num_queries(budget):
        assert client.get(week_url(program, suffix)).status_code == 200
    grow(program, org, groups)
    forget()
    with django_assert_num_queries(budget):
        assert client.get(week_url(program, suffix)).status_code == 200


@pytest.mark.parametrize("suffix", ["", "week/1/"])
def test_a_kept_unit_page_costs_two_queries_whatever_the_data(
    ann, org, program, groups, django_assert_num_queries, suffix
):
    enrollment = ann.enrollments.get()
    for activity in program.units.get(number=1).activities.all():
        answer(enrollment, activity, text="mine", value=2 if activity.kind == "poll" else None)
    client = signed_in(ann)
    rendered = client.get(week_url(program, suffix)).content.decode()
    with django_assert_num_queries(KEPT):
        kept = client.get(week_url(program, suffix)).content.decode()
    assert unsigned(kept) == unsigned(rendered)
    grow(program, org, groups)
    forget()
    client.get(week_url(program, suffix))
    with django_assert_num_queries(KEPT):
        assert client.get(week_url(program, suffix)).status_code == 200


def test_a_kept_page_showing_poll_counts_costs_two_queries_and_one_more_to_renew_them(
    ann, bob, org, program, groups, django_assert_num_queries
):
    poll = program.units.get(number=2).activities.get(kind="poll")  # this week's
    for person in (ann, bob):
        answer(person.enrollments.get(), poll, value=2)
    client = signed_in(ann)
    client.get(week_url(program))  # rendered and kept, the counts made
    with django_assert_num_queries(KEPT):
        kept = client.get(week_url(program))
    # Not rendered again: no template but the poll's counts (and those once per process).
    assert {t.name for t in kept.templates} <= {"learning/_poll_results.html"}
    grow(program, org, groups)
    # Their minute past, the counts are renewed when the kept page is served: one query for
    # a scale (one for a choice poll's options), then none again for a minute.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        with django_assert_num_queries(KEPT + 1):
            renewed = client.get(week_url(program)).content.decode()
        with django_assert_num_queries(KEPT):
            again = client.get(week_url(program)).content.decode()
    assert "%<" not in kept.content.decode()  # two answers: fewer than the poll minimum
    assert ">9%<" in renewed and ">91%<" in renewed  # 2 and 20 of 22
    assert unsigned(again) == unsigned(renewed)


def test_this_week_with_key_points_due_costs_one_query_more_whatever_the_data(
    ann, org, program, groups, django_assert_num_queries
):
    enrollment = ann.enrollments.get()
    unit = program.units.get(number=1)
    RecallQuestion.objects.create(unit=unit, position=1, prompt="The point?", answer="This.")
    RecallQuestion.objects.create(unit=unit, position=2, activity=unit.activities.get(kind="quiz"))
    response_record(enrollment=enrollment, activity=unit.activities.get(kind="task"), key=uuid4())
    client = signed_in(ann)
    client.get(week_url(program))
    forget()
    with django_assert_num_queries(RECALL_DUE):
        assert "The point?" in client.get(week_url(program)).content.decode()
    grow(program, org, groups)
    forget()
    with django_assert_num_queries(RECALL_DUE):
        assert client.get(week_url(program)).status_code == 200


def unsigned(html: str) -> str:
    """The page without what each serving makes anew: its CSRF token and answer keys."""
    return re.sub(r'name="(csrfmiddlewaretoken|[ar]\d+-key)" value="[^"]+"', "", html)


def forget() -> None:
    """Forget kept pages and poll counts (kept beside them); not the day's marks of units
    already recorded."""
    caches["pages"].clear()
    shared.forget()


@pytest.mark.parametrize("with_recall", [False, True])
def test_a_first_view_after_another_participants_reads_only_what_is_theirs(
    ann, bob, org, program, groups, django_assert_num_queries, with_recall
):
    unit = program.units.get(number=1)
    if with_recall:
        RecallQuestion.objects.create(unit=unit, position=1, prompt="The point?", answer="This.")
        RecallQuestion.objects.create(
            unit=unit, position=2, activity=unit.activities.get(kind="quiz")
        )
        for person in (ann, bob):
            enrollment = person.enrollments.get()
            task = unit.activities.get(kind="task")
            response_record(enrollment=enrollment, activity=task, key=uuid4())
    client = signed_in(ann)
    client.get(week_url(program))  # the day's record of opening it is written
    touch(enrollment_id=ann.enrollments.get().pk)  # her page is rendered again, not kept
    signed_in(bob).get(week_url(program))  # what everyone shares is kept
    with django_assert_num_queries(SHARED_KEPT):
        html = client.get(week_url(program)).content.decode()
    assert ("The point?" in html) is with_recall
    grow(program, org, groups)
    touch(enrollment_id=ann.enrollments.get().pk)
    with django_assert_num_queries(SHARED_KEPT):
        assert client.get(week_url(program)).status_code == 200


def test_feedback_on_an_answer_costs_one_query_more_and_its_chosen_options_none(
    ann, facilitator, program, django_assert_num_queries
):
    enrollment = ann.enrollments.get()
    unit = program.units.get(number=1)
    quiz = unit.activities.get(kind="quiz")
    answered = answer(enrollment, quiz)
    answered.choices.set([quiz.options.get(is_correct=True)])
    reflection = answer(
        enrollment, unit.activities.get(kind="reflection"), text="mine", audiences=["facilitators"]
    )
    client = signed_in(ann)
    client.get(week_url(program, "week/1/"))
    forget()
    no_poll = BUDGETS["week/1/"] - 1  # no poll answered: no poll results to count
    with django_assert_num_queries(no_poll):
        html = client.get(week_url(program, "week/1/")).content.decode()
    assert "Yes." in html  # the feedback of the option she chose
    feedback_give(response=reflection, author=facilitator, text="Well observed")
    forget()
    with django_assert_num_queries(no_poll + 1):
        html = client.get(week_url(program, "week/1/")).content.decode()
    assert "Well observed" in html and "Yes." in html
