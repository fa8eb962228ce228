"""The statements API against its OpenAPI document: generated requests, good and bad, never 5xx.

Bounded: a fixed number of examples per operation, derandomized so a run repeats, and the
test's own time limit.
"""

import base64

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pocketmentor.conftest import answer

EXAMPLES = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _document() -> dict:
    # Served by the app itself, so the test reads exactly what integrations read.
    return yaml.safe_load(Client().get("/xapi/openapi.yaml").content)


@pytest.fixture
def credentials(org, ann, program, capsys) -> str:
    answer(ann.enrollments.get(), program.units.get(number=1).activities.first())
    call_command("insights", "key", org.slug)
    words = capsys.readouterr().out.split()
    user, password = words[words.index("user") + 1].rstrip(","), words[words.index("password") + 1]
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_document_is_served_and_names_every_parameter_the_api_takes(db):
    from pocketmentor.insights.api import PARAMETERS

    response = Client().get("/xapi/openapi.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    document = yaml.safe_load(response.content)
    listed = {p.get("name") for p in document["paths"]["/xapi/statements"]["get"]["parameters"]}
    assert listed >= PARAMETERS
    assert Client().post("/xapi/openapi.yaml").status_code == 405


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("path", ["/xapi/statements", "/xapi/about"])
def test_generated_requests_are_never_answered_5xx(request, credentials, mode, path):
    loaded = schemathesis.openapi.from_dict(_document())
    loaded.config.update(base_url="http://localhost")
    loaded.config.generation.update(modes=[schemathesis.GenerationMode(mode)])
    operation = loaded["/xapi/" + path.rsplit("/", 1)[1]]["GET"]
    app = get_wsgi_application()
    seen: list[int] = []
    # As Django's test client does: the test's database connection outlives each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
        request.addfinalizer(lambda signal=signal: signal.connect(close_old_connections))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def run(case):
        # With a valid key, bad parameters reach the code that reads them.
        response = case.call(app=app, headers={"Authorization": credentials})
        seen.append(response.status_code)
        checks = CHECKS if mode == "positive" else [not_a_server_error]
        case.validate_response(response, checks=checks)

    run()
    assert seen and max(seen) < 500
    if mode == "positive" and path == "/xapi/statements":
        assert 200 in seen  # the fuzzer reached the answers, not only the refusals
