"""Recalls of key points: learning records with their repetition, and active only by choice."""

import datetime as dt
import uuid

import pytest
import time_machine

from pocketmentor.conftest import enroll, make_person, signed_in
from pocketmentor.insights import records, selectors, services
from pocketmentor.insights.models import Engagement, LearningRecord
from pocketmentor.insights.tests.conftest import act, activity, at
from pocketmentor.learning import services as learning_services
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.services import recall_answer
from pocketmentor.programs.models import RecallQuestion


@pytest.fixture
def point(program):
    unit = program.units.get(number=1)
    return RecallQuestion.objects.create(unit=unit, position=1, prompt="The point of week 1?")


@pytest.fixture
def quiz_point(program):
    unit = program.units.get(number=1)
    return RecallQuestion.objects.create(
        unit=unit, position=2, activity=unit.activities.get(kind="quiz")
    )


def recall(enrollment, question, moment, **answer):
    with time_machine.travel(moment, tick=False):
        return recall_answer(enrollment=enrollment, question=question, key=uuid.uuid4(), **answer)[
            0
        ]


def test_a_recall_is_an_answered_statement_that_says_which_repetition_it_is(
    ann, program, point, quiz_point
):
    enrollment = ann.enrollments.get()
    act(enrollment, activity(program, 1, "task"), at(1, 2))
    recall(enrollment, point, at(2, 2), rating=2)
    recall(enrollment, point, at(3, 2), rating=4)
    right = quiz_point.activity.options.get(is_correct=True)
    recall(enrollment, quiz_point, at(2, 3), option_ids=[right.pk])
    rows = LearningRecord.objects.filter(object=records.recall_iri(point.pk)).order_by("timestamp")
    statements = [r.statement for r in rows]
    assert [s["verb"]["id"] for s in statements] == [records.ANSWERED.iri] * 2
    repetition = records.extension("repetition")
    assert [s["context"]["extensions"][repetition] for s in statements] == [1, 2]
    assert [s["result"] for s in statements] == [
        {"completion": True, "success": False, "response": "hard"},
        {"completion": True, "success": True, "response": "easy"},
    ]
    assert statements[0]["object"]["definition"]["name"] == {"nb": "The point of week 1?"}
    quiz = LearningRecord.objects.get(object=records.recall_iri(quiz_point.pk)).statement
    assert quiz["result"] == {
        "completion": True,
        "success": True,
        "response": str(right.pk),
        "score": {"scaled": 1.0, "raw": 1, "min": 0, "max": 1},
    }
    assert quiz["object"]["definition"]["interactionType"] == "choice"
    assert quiz["object"]["definition"]["correctResponsesPattern"] == [str(right.pk)]
    rated = statements[0]["object"]["definition"]
    assert [c["id"] for c in rated["choices"]] == ["again", "hard", "good", "easy"]
    assert rated["choices"][1]["description"] == {"en": "With difficulty", "nb": "Med nød og neppe"}
    assert quiz["context"]["contextActivities"]["parent"][0]["id"] == records.unit_iri(
        point.unit_id
    )


def test_recall_makes_a_participant_active_only_when_the_program_counts_it(ann, program, point):
    enrollment = ann.enrollments.get()
    enrollment.enrolled_at = at(1) - dt.timedelta(days=3)
    enrollment.save()
    act(enrollment, activity(program, 1, "task"), at(1, 2))
    recall(enrollment, point, at(2, 2), rating=3)  # the only thing done in week 2
    with time_machine.travel(at(2, 5), tick=False):
        services.figures_current(program=program)
        by_default = [(p.week, p.active) for p in selectors.weekly(program=program)]
        services.counted_kinds_set(
            program=program, kinds=["reflection", "task", "quiz", "poll", "recall"]
        )
        services.figures_current(program=program)
        counted = [(p.week, p.active) for p in selectors.weekly(program=program)]
    assert by_default == [(1, 1), (2, 0)]
    assert counted == [(1, 1), (2, 1)]


def test_a_recall_keeps_a_participant_off_the_at_risk_list_whatever_the_program_counts(
    ann, bob, program, point
):
    Enrollment.objects.filter(program=program).update(enrolled_at=at(1) - dt.timedelta(days=3))
    for person in (ann, bob):
        act(person.enrollments.get(), activity(program, 1, "task"), at(1, 2))
    recall(ann.enrollments.get(), point, at(3, 2), rating=3)  # recall is not counted as active
    quiet = selectors.at_risk(program=program, now=at(4, 3)).object_list
    assert [row.enrollment.user for row in quiet] == [bob]
    assert Engagement.objects.get(enrollment__user=ann).done == 2  # "activities done" too


def test_rebuilt_rollups_keep_the_weeks_of_recall(ann, program, point):
    enrollment = ann.enrollments.get()
    act(enrollment, activity(program, 1, "task"), at(1, 2))
    recall(enrollment, point, at(2, 2), rating=1)
    live = Engagement.objects.get(enrollment=enrollment)
    assert (live.recall_weeks, live.task_weeks, live.done) == (0b10, 0b1, 2)
    Engagement.objects.filter(pk=live.pk).update(recall_weeks=0)
    with time_machine.travel(at(2, 5), tick=False):
        services.rollups_rebuild(program=program)
    rebuilt = Engagement.objects.get(enrollment=enrollment)
    assert (rebuilt.recall_weeks, rebuilt.task_weeks, rebuilt.done) == (0b10, 0b1, 2)


BASE = "/studio/fjordvik/p/lead/insights/"


@pytest.fixture
def recalled(org, ann, bob, program, groups, point, settings):
    """Three recalled week 1's point in week 2: Ann and Cai (group A) remembered, Bob (B) not."""
    settings.POLL_MIN_ANSWERS = 2
    cai = make_person("cai@fjordvik.example", org=org, role="participant")
    enroll(cai, program, groups[0])
    for person, rating in ((ann, 3), (bob, 1), (cai, 4)):
        enrollment = person.enrollments.get()
        act(enrollment, activity(program, 1, "task"), at(1, 2))
        recall(enrollment, point, at(2, 2), rating=rating)
    return point


def test_the_dashboard_shows_retention_per_key_point_and_group(admin_user, recalled):
    client = signed_in(admin_user)
    page = client.get(BASE).content.decode()
    assert "Hva de husker av hovedpoengene" in page
    assert "The point of week 1?" in page and '67 % <span class="muted">av 3</span>' in page
    assert '100 % <span class="muted">av 2</span>' in page  # group A
    too_few = '<span aria-hidden="true">for få</span><span class="visually-hidden">For få'
    assert page.count(too_few) == 1  # group B: one recall
    not_yet = (
        '<span aria-hidden="true">ingen ennå</span>'
        '<span class="visually-hidden">Ingen har hatt denne repetisjonen ennå</span>'
    )
    assert page.count(not_yet) == 6  # the second and third recalls: nobody yet, not 0 %
    assert '<span class="muted">0</span>' not in page and "–</abbr>" not in page
    assert "«ingen ennå»: ingen har hatt denne repetisjonen ennå." in page
    client.post("/language/", {"language": "en"})
    page = client.get(BASE).content.decode()
    assert "Retention of key points" in page and '67% <span class="muted">of 3</span>' in page
    assert page.count('<span aria-hidden="true">none yet</span>') == 6
    assert '<span class="visually-hidden">No one has had this recall yet</span>' in page
    assert '<span aria-hidden="true">too few</span>' in page


def test_the_brief_lists_the_key_points_most_often_forgotten(admin_user, recalled, program):
    other = RecallQuestion.objects.create(
        unit=program.units.get(number=1), position=3, prompt="Remembered by all?"
    )
    learning_services.recall_added(RecallQuestion, questions=[other])  # as an import sends
    for person in Enrollment.objects.filter(program=program):
        recall(person, other, at(2, 3), rating=3)
    client = signed_in(admin_user)
    page = client.get(BASE + "brief/").content.decode()
    assert "Hovedpoengene som oftest glemmes" in page
    assert "The point of week 1?" in page and "glemt i 33 % av 3 repetisjoner" in page
    assert "Remembered by all?" not in page  # never forgotten
    client.post("/language/", {"language": "en"})
    page = client.get(BASE + "brief/").content.decode()
    assert "forgotten in 33% of 3 recalls" in page
