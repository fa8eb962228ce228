"""The statements API: credentials per organization, the xAPI filters and paging."""

import base64
import json
import uuid
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from pocketmentor.insights import records
from pocketmentor.insights.models import LearningRecord, StatementKey
from pocketmentor.insights.tests.conftest import at
from pocketmentor.learning.services import response_record

VERSION = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture
def key(org, capsys):
    call_command("insights", "key", org.slug, "--label", "LRS reports")
    words = capsys.readouterr().out.split()
    user, password = words[words.index("user") + 1].rstrip(","), words[words.index("password") + 1]
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def get(key, **params):
    headers = VERSION | ({"Authorization": f"Basic {key}"} if key else {})
    return Client(headers=headers).get("/xapi/statements", params)


@pytest.fixture
def history(ann, bob, outsider, program):
    """Ann answers week 1's four activities, Bob the task, on separate days; Eve elsewhere."""
    for day, activity in enumerate(program.units.get(number=1).activities.order_by("position")):
        fields = {"value": 3} if activity.kind == "poll" else {}
        if activity.kind == "quiz":
            fields = {"option_ids": [activity.options.first().pk]}
        with time_machine.travel(at(1, day + 1), tick=False):
            response_record(
                enrollment=ann.enrollments.get(), activity=activity, key=uuid.uuid4(), **fields
            )
    task = program.units.get(number=1).activities.get(kind="task")
    with time_machine.travel(at(1, 6), tick=False):
        response_record(enrollment=bob.enrollments.get(), activity=task, key=uuid.uuid4())
    theirs = outsider.enrollments.get()
    other = theirs.program.units.get(number=1).activities.get(kind="task")
    response_record(enrollment=theirs, activity=other, key=uuid.uuid4())
    return {"task": task}


def test_credentials_and_the_version_header_are_required(key, history):
    assert Client().get("/xapi/statements").status_code == 400
    response = Client(headers=VERSION).get("/xapi/statements")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"pm_nothing:secret").decode()
    assert get(wrong).status_code == 401
    response = get(key)
    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in response
    assert StatementKey.objects.get().last_used_at is not None


def test_an_organization_sees_its_own_statements_newest_first(key, history, outsider):
    body = get(key).json()
    assert len(body["statements"]) == 5 and body["more"] == ""
    stored = [s["stored"] for s in body["statements"]]
    assert stored == sorted(stored, reverse=True)
    assert str(outsider.pk) not in {s["actor"]["account"]["name"] for s in body["statements"]}
    ascending = get(key, ascending="true").json()["statements"]
    assert [s["id"] for s in ascending] == [s["id"] for s in reversed(body["statements"])]


def test_filters_agent_verb_activity_since_until(key, history, ann, program, settings):
    agent = json.dumps({"objectType": "Agent", "account": {"homePage": settings.SITE_URL,
                                                           "name": str(ann.pk)}})  # fmt: skip
    assert len(get(key, agent=agent).json()["statements"]) == 4
    nobody = json.dumps({"mbox": "mailto:ann@fjordvik.example"})  # never in our statements
    assert get(key, agent=nobody).json()["statements"] == []
    completed = get(key, verb=records.COMPLETED.iri).json()["statements"]
    assert len(completed) == 2
    task = records.activity_iri(history["task"].pk)
    assert len(get(key, activity=task).json()["statements"]) == 2
    unit = records.unit_iri(history["task"].unit_id)
    assert get(key, activity=unit).json()["statements"] == []
    assert len(get(key, activity=unit, related_activities="true").json()["statements"]) == 5
    program_iri = records.program_iri(program.pk)
    assert len(get(key, activity=program_iri, related_activities="true").json()["statements"]) == 5
    stamps = sorted(LearningRecord.objects.values_list("stored", flat=True))
    since = get(key, since=stamps[1].isoformat()).json()["statements"]
    until = get(key, until=stamps[1].isoformat()).json()["statements"]
    assert (len(since), len(until)) == (3, 2)
    assert get(key, registration=str(uuid.uuid4())).json()["statements"] == []


def test_paging_with_more(key, history):
    seen, url, pages = [], "/xapi/statements?" + urlencode({"limit": 2}), 0
    headers = VERSION | {"Authorization": f"Basic {key}"}
    while url:
        body = Client(headers=headers).get(url).json()
        seen += [s["id"] for s in body["statements"]]
        url, pages = body["more"], pages + 1
    assert pages == 3 and len(seen) == len(set(seen)) == 5
    assert get(key, limit=2, cursor="forged").status_code == 400


def test_one_statement_by_id_and_the_ids_format(key, history, org, outsider):
    record = LearningRecord.objects.filter(
        verb=records.COMPLETED.iri, actor__email__contains="ann"
    ).first()
    theirs = LearningRecord.objects.get(actor=outsider)
    assert get(key, statementId=str(theirs.pk)).status_code == 404
    body = get(key, statementId=str(record.pk)).json()
    assert body == record.statement
    short = get(key, statementId=str(record.pk), format="ids").json()
    assert "definition" not in short["object"]
    assert get(key, statementId=str(uuid.uuid4())).status_code == 404
    assert get(key, voidedStatementId=str(record.pk)).status_code == 404
    assert get(key, statementId=str(record.pk), verb="x").status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "many"},
        {"since": "yesterday"},
        {"ascending": "yes"},
        {"colour": "blue"},
        {"agent": "not json"},
        {"format": "full"},
        {"statementId": "1"},
        {"since": "2020-13-45"},
        {"until": "2020-01-01T25:00:00Z"},
        {"since": "2020-02-30T10:00:00+01:00"},
        {"verb": "http://adlnet.gov/expapi/verbs/completed\x00"},
        {"activity": "\x00"},
        {"agent": '{"account": {"homePage": "http://testserver", "name": "\\u0000"}}'},
        {"limit": "9" * 5000},
    ],  # fmt: skip
)
def test_bad_parameters_are_400_in_the_xapi_shape(key, params):
    response = get(key, **params)
    assert response.status_code == 400
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert response.json()["error"]


@pytest.mark.parametrize("name", ["٣", "²", "Åse", "1" * 40])
def test_an_agent_named_in_any_script_or_a_huge_number_finds_nobody(key, history, settings, name):
    agent = json.dumps({"account": {"homePage": settings.SITE_URL, "name": name}})
    response = get(key, agent=agent)
    assert response.status_code == 200 and response.json()["statements"] == []


def test_an_activity_with_a_huge_number_finds_nothing(key, history):
    iri = records.iri("activities/unit/" + "9" * 40)
    response = get(key, activity=iri, related_activities="true")
    assert response.status_code == 200 and response.json()["statements"] == []


def test_a_zero_byte_in_the_basic_user_name_is_400_not_500(history):
    forged = base64.b64encode(b"pm_\x00nobody:secret").decode()
    response = get(forged)
    assert response.status_code == 400
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert LearningRecord.objects.count() == 6  # nothing written


@pytest.mark.parametrize("path", ["/xapi/statements", "/xapi/about"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_writes_are_405_with_the_xapi_version(key, path, method):
    response = getattr(Client(headers=VERSION | {"Authorization": f"Basic {key}"}), method)(path)
    assert response.status_code == 405
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert response["Allow"] == "GET, HEAD"


def test_the_ids_format_names_nobody_and_nothing(key, history):
    statements = get(key, format="ids").json()["statements"]
    assert statements
    text = json.dumps(statements)
    assert '"display"' not in text and '"name": "Group' not in text
    for statement in statements:
        assert set(statement["verb"]) == {"id"}
        assert "definition" not in statement["object"]
        assert "name" not in statement["context"].get("team", {})


def test_attachments_true_answers_in_multipart(key, history):
    response = get(key, attachments="true", limit=1)
    assert response["Content-Type"].startswith("multipart/mixed; boundary=")
    assert b"application/json" in response.content


def test_about_names_the_version():
    assert Client().get("/xapi/about").json() == {"version": ["1.0.3"]}
