"""Recalls of key points: learning records with their repetition, and active only by choice."""

import datetime as dt
import uuid

import pytest
import time_machine

from pocketmentor.insights import records, selectors, services
from pocketmentor.insights.models import Engagement, LearningRecord
from pocketmentor.insights.tests.conftest import act, activity, at
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
    assert quiz["result"] == {"completion": True, "success": True, "response": str(right.pk)}
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
