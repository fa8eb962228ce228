"""Forwarding to an external LRS: a real HTTP server on loopback that fails, then accepts."""

import base64
import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from pocketmentor.insights import forward
from pocketmentor.insights.models import LearningRecord
from pocketmentor.insights.xapi import problems
from pocketmentor.learning.services import response_record


class Lrs:
    """An LRS stand-in: answers each POST with the next status, keeps what it accepted."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests, self.accepted = [], []
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                lrs.requests.append((self.path, self.headers, json.loads(body)))
                status = lrs.statuses.pop(0) if lrs.statuses else 200
                if status == 200:
                    lrs.accepted += json.loads(body)
                answer = json.dumps([s["id"] for s in json.loads(body)]).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/xapi/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def answered(ann, bob, program):
    """Seven records: Ann's four answers of week 1, Bob's three."""
    for person in (ann, bob):
        for activity in program.units.get(number=1).activities.order_by("position"):
            if person == bob and activity.kind == "poll":
                continue
            fields = {"value": 2} if activity.kind == "poll" else {}
            if activity.kind == "quiz":
                fields = {"option_ids": [activity.options.first().pk]}
            response_record(
                enrollment=person.enrollments.get(), activity=activity, key=uuid.uuid4(), **fields
            )
    assert LearningRecord.objects.count() == 7


def test_batches_are_retried_after_a_server_error_and_then_marked(answered):
    lrs = Lrs([500, 200, 200])
    waits = []
    try:
        config = forward.Lrs(url=lrs.url, username="lrs-user", password="s3cret", batch=4)
        assert forward.forward_pending(lrs=config, sleep=waits.append) == 7
    finally:
        lrs.close()
    assert waits == [1.0]  # one retry, after a second
    assert [len(body) for _, _, body in lrs.requests] == [4, 4, 3]
    path, headers, first = lrs.requests[0]
    assert path == "/xapi/statements"
    assert headers["X-Experience-API-Version"] == "1.0.3"
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"lrs-user:s3cret").decode()
    assert all("stored" not in s and "authority" not in s and problems(s) == [] for s in first)
    assert sorted(s["id"] for s in lrs.accepted) == sorted(
        str(pk) for pk in LearningRecord.objects.values_list("pk", flat=True)
    )
    assert not LearningRecord.objects.filter(forwarded_at__isnull=True).exists()


def test_nothing_is_lost_while_the_lrs_is_down(answered):
    lrs = Lrs([200, 503, 503, 503])
    try:
        config = forward.Lrs(url=lrs.url, batch=5, retries=2)
        with pytest.raises(forward.ForwardError, match="HTTP 503"):
            forward.forward_pending(lrs=config, sleep=lambda s: None)
        assert LearningRecord.objects.filter(forwarded_at__isnull=True).count() == 2
        assert forward.forward_pending(lrs=config, sleep=lambda s: None) == 2  # back up
    finally:
        lrs.close()
    assert len(lrs.accepted) == 7


def test_an_unreachable_lrs_leaves_every_record_waiting(answered):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = forward.Lrs(url=f"http://127.0.0.1:{port}/xapi", retries=1)
    with pytest.raises(forward.ForwardError):
        forward.forward_pending(lrs=config, sleep=lambda s: None)
    assert LearningRecord.objects.filter(forwarded_at__isnull=True).count() == 7


def test_a_refusal_is_not_retried(answered):
    lrs = Lrs([401])
    try:
        with pytest.raises(forward.ForwardError, match="refused"):
            forward.forward_pending(lrs=forward.Lrs(url=lrs.url), sleep=lambda s: None)
    finally:
        lrs.close()
    assert len(lrs.requests) == 1


def test_the_command_forwards_with_the_configured_lrs(answered, settings, capsys):
    lrs = Lrs([])
    settings.XAPI_LRS_URL = lrs.url
    settings.XAPI_FORWARD_BATCH = 3
    try:
        call_command("insights", "forward")
    finally:
        lrs.close()
    assert "Forwarded 7 records" in capsys.readouterr().out
    assert [len(body) for _, _, body in lrs.requests] == [3, 3, 1]
    settings.XAPI_LRS_URL = ""
    with pytest.raises(CommandError, match="XAPI_LRS_URL"):
        call_command("insights", "forward")


def test_the_worker_forwards_each_minute_and_waits_out_a_broken_lrs(answered, settings, caplog):
    from pocketmentor.nudges.worker import Worker

    lrs = Lrs([503])
    settings.XAPI_LRS_URL = lrs.url
    settings.XAPI_FORWARD_BATCH = 5
    try:
        Worker(name="one").round(plan=True)  # one try, no waiting: the messages go on
        assert LearningRecord.objects.filter(forwarded_at__isnull=True).count() == 7
        assert "were not forwarded" in caplog.text
        Worker(name="one").round(plan=True)  # the next minute
    finally:
        lrs.close()
    assert [len(body) for _, _, body in lrs.requests] == [5, 5, 2]
    assert len(lrs.accepted) == 7
    assert not LearningRecord.objects.filter(forwarded_at__isnull=True).exists()


def forwarded_with(statuses, batches=None, **config):
    """Forward against an LRS answering `statuses`; (sent or the error, waits, requests)."""
    lrs, waits = Lrs(statuses), []
    try:
        try:
            outcome = forward.forward_pending(
                lrs=forward.Lrs(url=lrs.url, **config), sleep=waits.append, batches=batches
            )
        except forward.ForwardError as error:
            outcome = error
    finally:
        lrs.close()
    return outcome, waits, lrs.requests


def test_a_conflict_means_the_lrs_holds_them_already_so_they_are_marked_sent(answered):
    sent, waits, requests = forwarded_with([409], batch=10)
    assert (sent, waits, len(requests)) == (7, [], 1)
    assert not LearningRecord.objects.filter(forwarded_at__isnull=True).exists()


@pytest.mark.parametrize("status", [408, 429, 502])
def test_a_timeout_too_many_requests_or_a_server_error_is_tried_again(answered, status):
    sent, waits, requests = forwarded_with([status, status], batch=10)
    assert (sent, waits, len(requests)) == (7, [1.0, 2.0], 3)


def test_the_waits_between_tries_double_and_stop_at_a_minute(answered):
    error, waits, requests = forwarded_with([503] * 8, batch=10, retries=7, backoff=16)
    assert isinstance(error, forward.ForwardError) and "HTTP 503" in str(error)
    assert waits == [16, 32, 60, 60, 60, 60, 60] and len(requests) == 8
    assert LearningRecord.objects.filter(forwarded_at__isnull=True).count() == 7


def test_a_limit_on_batches_leaves_the_rest_oldest_first_for_the_next_run(answered):
    first = list(LearningRecord.objects.order_by("stored", "id").values_list("pk", flat=True))
    sent, _, requests = forwarded_with([], batch=3, batches=1)
    assert sent == 3 and [len(body) for _, _, body in requests] == [3]
    assert [s["id"] for s in requests[0][2]] == [str(pk) for pk in first[:3]]
    waiting = LearningRecord.objects.filter(forwarded_at__isnull=True).values_list("pk", flat=True)
    assert sorted(waiting) == sorted(first[3:])


def test_without_credentials_no_authorization_header_is_sent(answered):
    _, _, requests = forwarded_with([], batch=10)
    assert "Authorization" not in requests[0][1]


def test_the_configured_lrs_needs_an_http_address_and_takes_at_least_one_record_a_batch(
    settings,
):
    settings.XAPI_LRS_URL = ""
    assert forward.configured_lrs() is None
    settings.XAPI_LRS_URL = "ftp://lrs.example/xapi/"
    with pytest.raises(ImproperlyConfigured, match="http:// or https://"):
        forward.configured_lrs()
    settings.XAPI_LRS_URL = "https://lrs.example/xapi/"
    settings.XAPI_FORWARD_BATCH, settings.XAPI_FORWARD_RETRIES = 0, -3
    lrs = forward.configured_lrs()
    assert (lrs.batch, lrs.retries) == (1, 0)
    assert lrs.statements_url == "https://lrs.example/xapi/statements"
