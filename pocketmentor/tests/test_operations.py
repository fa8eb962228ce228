"""What an operator sees: /readyz, /metrics, the studio's warning, Sentry and JSON logs."""

import datetime as dt
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from pocketmentor.bench.load import free_port
from pocketmentor.conftest import signed_in
from pocketmentor.nudges.models import WorkerHeartbeat
from pocketmentor.tests.test_env import run_python

STUDIO = "/studio/fjordvik/"
WARNING_NB = "Meldinger blir ikke sendt: ingen arbeidsprosess har kjørt på 10 minutter."


def beat(*, minutes_ago: float, name: str = "host-a:41") -> WorkerHeartbeat:
    moment = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={
            "host": name.split(":")[0],
            "pid": 41,
            "started_at": moment - dt.timedelta(hours=1),
            "last_round_at": moment,
            "messages_sent": 250,
            "messages_failed": 3,
            "records_forwarded": 1200,
        },
    )[0]


def test_admins_are_warned_in_the_studio_when_no_worker_has_run_for_ten_minutes(
    admin_user, facilitator, program
):
    admin = signed_in(admin_user)
    assert WARNING_NB in admin.get(STUDIO).content.decode()  # none ever ran
    beat(minutes_ago=11)
    assert WARNING_NB in admin.get(STUDIO).content.decode()
    beat(minutes_ago=0.5)
    assert WARNING_NB not in admin.get(STUDIO).content.decode()


def test_facilitators_and_participants_are_not_told_about_workers(facilitator, ann, program):
    assert WARNING_NB not in signed_in(facilitator).get(STUDIO).content.decode()
    assert WARNING_NB not in signed_in(ann).get("/").content.decode()


def test_the_warning_speaks_english_to_an_admin_who_reads_english(admin_user, program):
    admin_user.language = "en"
    admin_user.save()
    page = signed_in(admin_user).get(STUDIO).content.decode()
    assert "Messages are not going out: no worker has run for 10 minutes." in page


def test_readyz_is_ready_when_the_database_cache_and_a_worker_answer(db):
    beat(minutes_ago=1)
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() | {"last_round_at": None} == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "worker": "ok",
        "last_round_at": None,
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_names_every_problem_with_503(db, settings):
    beat(minutes_ago=30)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/2",  # nothing listens there
        }
    }
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == [
        "the cache does not answer",
        "no worker has finished a round for 10 minutes",
    ]
    assert Client().post("/readyz").status_code == 405


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = "scrape-me-please-0123456789"
    settings.MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *settings.MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
    return {"HTTP_AUTHORIZATION": f"Bearer {settings.METRICS_TOKEN}"}


def test_metrics_are_off_without_a_token(db):
    assert Client().get("/metrics").status_code == 404


def test_metrics_refuse_a_scraper_without_the_token(metrics_on):
    assert Client().get("/metrics").status_code == 401
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert Client().post("/metrics", **metrics_on).status_code == 405


def test_metrics_count_requests_messages_and_the_workers_last_round(metrics_on, ann, program):
    worker = beat(minutes_ago=2)
    client = signed_in(ann)
    for _ in range(3):
        client.get("/healthz")
    response = Client().get("/metrics", **metrics_on)
    assert response.status_code == 200
    text = response.content.decode()
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    requests = (
        "django_http_requests_total_by_view_transport_method_total"
        '{method="GET",transport="http",view="healthz"}'
    )
    assert float(lines[requests]) >= 3
    assert (
        'django_http_requests_latency_seconds_by_view_method_bucket{le="0.1",method="GET",view="healthz"}'
        in lines
    )
    assert lines["pocketmentor_messages_due"] == "0.0"
    labels = '{host="host-a",worker="host-a:41"}'
    assert float(lines[f"pocketmentor_worker_last_round_timestamp_seconds{labels}"]) == (
        worker.last_round_at.timestamp()
    )
    assert lines[f"pocketmentor_messages_sent_total{labels}"] == "250.0"
    assert lines[f"pocketmentor_messages_failed_total{labels}"] == "3.0"
    assert lines[f"pocketmentor_learning_records_forwarded_total{labels}"] == "1200.0"


class Collector(BaseHTTPRequestHandler):
    """A stand-in for Sentry's ingest: keeps every envelope posted to it."""

    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif self.headers.get("Content-Encoding") == "br":
            import brotli

            body = brotli.decompress(body)
        Collector.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_an_uncaught_error_reaches_sentry_when_a_dsn_is_set(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://public-key@127.0.0.1:{server.server_address[1]}/42"
    try:
        done = run_python(
            "raise RuntimeError('the database went away at 03:12')",
            {"DATA_DIR": str(tmp_path), "SENTRY_DSN": dsn},
        )
    finally:
        server.shutdown()
    assert done.returncode == 1
    [envelope] = [body for body in Collector.received if b'"type":"event"' in body]
    event = json.loads(envelope.splitlines()[2])
    [error] = event["exception"]["values"]
    assert (error["type"], error["value"]) == ("RuntimeError", "the database went away at 03:12")


def test_logs_are_json_lines_when_asked(tmp_path):
    done = run_python(
        "import logging; "
        "logging.getLogger('pocketmentor.nudges').warning('Planned %d messages', 250)",
        {"DATA_DIR": str(tmp_path), "LOG_FORMAT": "json"},
    )
    records = [json.loads(line) for line in done.stderr.splitlines()]  # every line is JSON
    [record] = [each for each in records if each["logger"] == "pocketmentor.nudges"]
    assert record["level"] == "WARNING" and record["logger"] == "pocketmentor.nudges"
    assert record["message"] == "Planned 250 messages" and "time" in record


def test_an_unknown_log_format_stops_start_up(tmp_path):
    done = run_python("", {"DATA_DIR": str(tmp_path), "LOG_FORMAT": "xml"})
    assert "LOG_FORMAT must be one of text, json, not 'xml'" in done.stderr
