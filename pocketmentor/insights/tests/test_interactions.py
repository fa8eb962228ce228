"""Quiz, poll and recall statements as xAPI 1.0.3 interactions, and the checker's rules for
them: interaction type, choices, correct responses, responses as defined ids, scores."""

import copy
import uuid

import pytest

from pocketmentor.insights.models import LearningRecord
from pocketmentor.insights.xapi import problems
from pocketmentor.learning.services import response_record
from pocketmentor.programs.models import Activity, Option


def answered(program, ann, kind, **fields):
    activity = program.units.get(number=1).activities.get(kind=kind)
    enrollment = ann.enrollments.get()
    response_record(enrollment=enrollment, activity=activity, key=uuid.uuid4(), **fields)
    return activity, LearningRecord.objects.get(activity_id=activity.pk).statement


def test_a_quiz_answer_is_a_choice_with_its_correct_response_and_score(ann, program):
    quiz = program.units.get(number=1).activities.get(kind="quiz")
    right, wrong = quiz.options.order_by("position")
    _quiz, statement = answered(program, ann, "quiz", option_ids=[wrong.pk])
    definition = statement["object"]["definition"]
    assert definition["interactionType"] == "choice"
    assert definition["choices"] == [
        {"id": str(right.pk), "description": {"nb": "Ask"}},
        {"id": str(wrong.pk), "description": {"nb": "Tell"}},
    ]
    assert definition["correctResponsesPattern"] == [str(right.pk)]
    assert statement["result"]["response"] == str(wrong.pk)
    assert statement["result"]["success"] is False
    assert statement["result"]["score"] == {"scaled": 0.0, "raw": 0, "min": 0, "max": 1}
    assert problems(statement) == []


def test_a_scale_poll_is_a_choice_among_its_points_with_the_ends_described(ann, program):
    _poll, statement = answered(program, ann, "poll", value=4)
    definition = statement["object"]["definition"]
    assert definition["interactionType"] == "choice"
    assert [c["id"] for c in definition["choices"]] == ["1", "2", "3", "4", "5"]
    assert definition["choices"][0]["description"] == {"nb": "1 Rarely"}
    assert definition["choices"][4]["description"] == {"nb": "5 Always"}
    assert "correctResponsesPattern" not in definition and "score" not in statement["result"]
    assert statement["result"]["response"] == "4"
    assert problems(statement) == []


def test_a_poll_of_options_is_a_choice_answered_by_their_ids(ann, program):
    unit = program.units.get(number=1)
    poll = Activity.objects.create(unit=unit, position=5, kind="poll", prompt="Which first?")
    one, two = (
        Option.objects.create(activity=poll, position=n, text=text)
        for n, text in ((1, "Listen"), (2, "Decide"))
    )
    response_record(
        enrollment=ann.enrollments.get(), activity=poll, key=uuid.uuid4(), option_ids=[two.pk]
    )
    statement = LearningRecord.objects.get(activity_id=poll.pk).statement
    definition = statement["object"]["definition"]
    assert definition["interactionType"] == "choice"
    assert definition["choices"] == [
        {"id": str(one.pk), "description": {"nb": "Listen"}},
        {"id": str(two.pk), "description": {"nb": "Decide"}},
    ]
    assert "correctResponsesPattern" not in definition and "score" not in statement["result"]
    assert statement["result"]["response"] == str(two.pk)
    assert problems(statement) == []


@pytest.fixture
def quiz_statement(ann, program):
    quiz = program.units.get(number=1).activities.get(kind="quiz")
    right = quiz.options.get(is_correct=True)
    return answered(program, ann, "quiz", option_ids=[right.pk])[1]


def broken(statement, change):
    statement = copy.deepcopy(statement)
    change(statement)
    return problems(statement)


def test_the_checker_refuses_what_breaks_the_interaction_rules(quiz_statement):
    definition = lambda s: s["object"]["definition"]  # noqa: E731
    cases = {
        "interactionType 'multiple' is unknown": lambda s: definition(s).update(
            interactionType="multiple"
        ),
        "'999' is not one of the defined choices": lambda s: s["result"].update(response="999"),
        "ids are not unique": lambda s: definition(s)["choices"].append(
            copy.deepcopy(definition(s)["choices"][0])
        ),
        "is not a language map": lambda s: definition(s)["choices"][0].update(description="Ask"),
        "without an interactionType": lambda s: definition(s).pop("interactionType"),
        "scale is not a component of a choice interaction": lambda s: definition(s).update(
            scale=[{"id": "1"}]
        ),
        "correctResponsesPattern is not an array of strings": lambda s: definition(s).update(
            correctResponsesPattern="1"
        ),
        "correctResponsesPattern '0' is not one of": lambda s: definition(s).update(
            correctResponsesPattern=["0"]
        ),
        "raw is outside min and max": lambda s: s["result"]["score"].update(raw=2),
        "scaled is outside -1 to 1": lambda s: s["result"]["score"].update(scaled=1.5),
        "has white space": lambda s: definition(s)["choices"][0].update(id="a b"),
    }
    assert problems(quiz_statement) == []
    for expected, change in cases.items():
        found = broken(quiz_statement, change)
        assert any(expected in problem for problem in found), (expected, found)


def test_several_choices_are_ids_separated_as_xapi_says(quiz_statement):
    ids = [c["id"] for c in quiz_statement["object"]["definition"]["choices"]]
    statement = copy.deepcopy(quiz_statement)
    statement["result"]["response"] = "[,]".join(ids)
    assert problems(statement) == []
    statement["result"]["response"] = ",".join(ids)  # not the separator xAPI defines
    assert problems(statement) != []
