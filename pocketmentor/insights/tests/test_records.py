"""Learning records: one valid xAPI statement per learner action, appended, never updated."""

import copy
import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.db import transaction
from sesame.utils import get_query_string

from pocketmentor.conftest import NOW, answer, signed_in, week_url
from pocketmentor.insights import records, services
from pocketmentor.insights.models import LearningRecord, UnitFunnel
from pocketmentor.insights.xapi import problems
from pocketmentor.learning import tracking
from pocketmentor.learning.models import Response
from pocketmentor.learning.services import (
    AnswerFinal,
    feedback_give,
    reaction_toggle,
    response_edit,
    response_record,
)
from pocketmentor.learning.tests.test_queries import BUDGETS, KEPT

VERB = {v.display: v.iri for v in records.VERBS.values()}


def verbs():
    return [
        (r.verb.rsplit("/", 1)[-1], r.object.split("/xapi/activities/")[-1])
        for r in LearningRecord.objects.order_by("stored", "timestamp")
    ]


def test_each_answer_is_one_statement_with_its_result(ann, program):
    enrollment = ann.enrollments.get()
    unit = program.units.get(number=1)
    reflection, task, quiz, poll = unit.activities.order_by("position")
    right = quiz.options.get(is_correct=True)
    for activity, fields in (
        (reflection, {"text": "Private thoughts about my team"}),
        (task, {"text": "A note"}),
        (quiz, {"option_ids": [right.pk]}),
        (poll, {"value": 4}),
    ):
        response_record(enrollment=enrollment, activity=activity, key=uuid.uuid4(), **fields)
    with pytest.raises(AnswerFinal):  # final: no record
        response_record(enrollment=enrollment, activity=poll, key=uuid.uuid4(), value=5)
    results = [r.statement.get("result") for r in LearningRecord.objects.order_by("timestamp")]
    assert verbs() == [
        ("answered", f"activity/{reflection.pk}"),
        ("completed", f"activity/{task.pk}"),
        ("answered", f"activity/{quiz.pk}"),
        ("answered", f"activity/{poll.pk}"),
    ]
    assert results == [
        {"completion": True},
        {"completion": True},
        {"completion": True, "success": True, "response": str(right.pk),
         "score": {"scaled": 1.0, "raw": 1, "min": 0, "max": 1}},
        {"completion": True, "response": "4"},
    ]  # fmt: skip
    statement = LearningRecord.objects.first().statement
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "http://127.0.0.1:8000", "name": str(ann.pk)},
    }
    context = statement["context"]
    assert context["team"]["name"] == "A"
    assert context["contextActivities"]["grouping"][0]["id"].endswith(f"program/{program.pk}")
    assert context["contextActivities"]["parent"][0]["id"].endswith(f"unit/{unit.pk}")


def test_statements_never_carry_what_people_wrote(ann, bob, facilitator, program, groups):
    mine = ann.enrollments.get()
    reflection = program.units.get(number=1).activities.get(kind="reflection")
    response, _ = response_record(
        enrollment=mine,
        activity=reflection,
        key=uuid.uuid4(),
        text="Secret words",
        audiences=["group"],
    )
    response_edit(response=response, text="Secret words again", audiences=["facilitators"])
    feedback_give(response=response, author=facilitator, text="Secret feedback")
    stored = json.dumps(list(LearningRecord.objects.values_list("statement", flat=True)))
    assert "Secret" not in stored
    assert [v for v, _ in verbs()] == ["answered", "shared", "shared", "commented"]
    commented = LearningRecord.objects.get(verb=records.COMMENTED.iri)
    assert commented.actor == facilitator and commented.enrollment == mine
    learner = commented.statement["context"]["extensions"][records.extension("learner")]
    assert learner["account"]["name"] == str(ann.pk)


def test_a_reaction_is_a_statement_of_the_peer(ann, bob, program, groups):
    mine = ann.enrollments.get()
    bob.enrollments.update(group=groups[0])
    reflection = program.units.get(number=1).activities.get(kind="reflection")
    response = answer(mine, reflection, text="x", audiences=["group"])
    reaction_toggle(response=response, user=bob, kind="thanks")
    reaction_toggle(response=response, user=bob, kind="thanks")  # taken back: nothing new
    record = LearningRecord.objects.get()
    assert (record.verb, record.actor, record.statement["result"]) == (
        records.LIKED.iri,
        bob,
        {"response": "thanks"},
    )


def test_records_roll_back_with_the_action_they_describe(ann, program):
    enrollment = ann.enrollments.get()
    task = program.units.get(number=1).activities.get(kind="task")
    with pytest.raises(RuntimeError), transaction.atomic():
        response_record(enrollment=enrollment, activity=task, key=uuid.uuid4())
        raise RuntimeError
    assert not LearningRecord.objects.exists() and not Response.objects.exists()


def test_signing_in_is_recorded_for_each_program_taken(client, ann, program):
    response = client.post("/login/", {"t": get_query_string(ann)[3:]})
    assert response.status_code == 302
    record = LearningRecord.objects.get()
    assert record.verb == records.LOGGED_IN.iri
    assert record.object.endswith(f"/xapi/activities/program/{program.pk}")
    assert "contextActivities" not in record.statement["context"]


def test_opening_a_unit_is_recorded_once_a_day_and_repeat_views_cost_no_query(
    ann, program, django_assert_num_queries
):
    client = signed_in(ann)
    budget = BUDGETS[""]
    # The first view adds the record, the unit's progress and funnel; the session is not saved.
    # With Redis it only notes the view there, and the worker writes those three (its job).
    with django_assert_num_queries(budget + (0 if tracking.queued() else 3)):
        assert client.get(week_url(program)).status_code == 200
    with django_assert_num_queries(KEPT):  # the page as kept (learning/pages.py)
        assert client.get(week_url(program)).status_code == 200
    assert client.get(week_url(program, "week/1/")).status_code == 200
    services.opened_flush()  # the worker's job, with Redis
    assert verbs() == [
        ("launched", f"unit/{program.units.get(number=2).pk}"),
        ("launched", f"unit/{program.units.get(number=1).pk}"),
    ]
    # Another phone (a new session) the same day records nothing more.
    signed_in(ann).get(week_url(program))
    services.opened_flush()
    assert LearningRecord.objects.count() == 2
    # The next day records it again; the funnel counts the person once.
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=True):
        signed_in(ann).get(week_url(program))
        services.opened_flush()
    assert LearningRecord.objects.count() == 3
    assert UnitFunnel.objects.get(unit__number=2, unit__program=program).opened == 1


def test_reading_the_cards_is_recorded_when_the_page_says_so(ann, bob, program):
    client = signed_in(ann)
    url = week_url(program, "week/1/read/")
    assert client.post(url).status_code == 204
    assert client.post(url).status_code == 204
    assert client.post(week_url(program, "week/3/read/")).status_code == 404  # locked
    assert client.get(url).status_code == 405
    assert verbs() == [("experienced", f"unit/{program.units.get(number=1).pk}/cards")]
    assert signed_in(bob).post(week_url(program, "week/9/read/")).status_code == 404


def test_the_unit_page_tells_the_script_where_to_report_reading(ann, program):
    page = signed_in(ann).get(week_url(program, "week/1/")).content.decode()
    assert f'data-read="{week_url(program, "week/1/read/")}"' in page


def test_a_person_s_records_for_their_data_export_and_their_erasure(ann, facilitator, program):
    enrollment = ann.enrollments.get()
    reflection = program.units.get(number=1).activities.get(kind="reflection")
    response, _ = response_record(
        enrollment=enrollment,
        activity=reflection,
        key=uuid.uuid4(),
        text="x",
        audiences=["facilitators"],
    )
    feedback_give(response=response, author=facilitator, text="y")
    mine = services.records_of(ann)
    assert [s["verb"]["display"]["en-US"] for s in mine] == ["answered", "shared", "commented"]
    assert services.records_of(facilitator) == [mine[2]]
    assert services.records_of(ann, organization=program.organization) == mine
    assert services.records_erase(ann) == 3
    stored = json.dumps(list(LearningRecord.objects.values_list("statement", flat=True)))
    assert f'"name": "{ann.pk}"' not in stored
    names = {s["actor"]["account"]["name"] for s in services.records_of(ann)}
    assert len(names) == 2 and str(facilitator.pk) in names  # the rest is anonymous
    assert not LearningRecord.objects.filter(actor=ann).exists()


def test_records_for_earlier_history_are_written_in_bulk(ann, bob, program, groups, facilitator):
    enrollment = ann.enrollments.get()
    unit = program.units.get(number=1)
    for activity in unit.activities.all():
        answer(enrollment, activity, text="x", value=3 if activity.kind == "poll" else None)
    LearningRecord.objects.all().delete()
    written = services.records_backfill(
        program=program, visits=[(bob.enrollments.get(), unit, unit.opens_at, None)]
    )
    assert written == 5
    assert services.records_backfill(program=program) == 0  # answers have their records now
    services.rollups_rebuild(program=program)
    assert UnitFunnel.objects.get(unit=unit).opened == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s.pop("actor"), "statement lacks actor"),
        (lambda s: s.update(id="not-a-uuid"), "id is not a UUID"),
        (lambda s: s["actor"].update(mbox="mailto:a@b.example"), "needs exactly one identifier"),
        (lambda s: s["actor"]["account"].update(homePage="example.org"), "homePage is not an IRL"),
        (lambda s: s["verb"].update(id="answered"), "verb id is not an IRI"),
        (lambda s: s["verb"].update(display={"en US": "x"}), "verb display has an invalid"),
        (lambda s: s["object"].update(id="activity 1"), "object id is not an IRI"),
        (lambda s: s.update(timestamp="2026-03-11T12:00:00"), "timestamp is not an ISO 8601"),
        (lambda s: s.update(version="2.0.0"), "version is not 1.0.x"),
        (lambda s: s.update(result={"completion": "yes"}), "completion is not true or false"),
        (lambda s: s.update(result={"duration": "5 minutes"}), "not an ISO 8601 duration"),
        (lambda s: s.update(result={"score": {"scaled": 2}}), "scaled is outside -1 to 1"),
        (lambda s: s["context"].update(registration="x"), "registration is not a UUID"),
        (lambda s: s["context"].update(extensions={"week": 1}), "key 'week' is not an IRI"),
        (lambda s: s["context"].update(team={"objectType": "Agent"}), "team is not a Group"),
        (lambda s: s.update(colour="blue"), "unknown property colour"),
    ],
)
def test_the_checker_finds_what_breaks_the_rules(ann, program, change, problem):
    task = program.units.get(number=1).activities.get(kind="task")
    response_record(enrollment=ann.enrollments.get(), activity=task, key=uuid.uuid4())
    statement = copy.deepcopy(LearningRecord.objects.get().statement)
    assert problems(statement) == []
    change(statement)
    assert any(problem in p for p in problems(statement)), problems(statement)
