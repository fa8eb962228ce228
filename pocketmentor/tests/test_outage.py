"""Out of service: the database unreachable or the disk full. Participants get a short page in
their language that their answer waits on the phone, staff what is wrong, both a 503; the
worker logs one line a round and carries on by itself when the database is back."""

import errno
import logging
import sqlite3
import threading
import time
import uuid

import pytest
import time_machine
from django.db import OperationalError, close_old_connections, connection, connections
from django.test import RequestFactory
from django.utils import translation

from pocketmentor.bench.proxy import CuttableProxy
from pocketmentor.conftest import signed_in, week_url
from pocketmentor.learning.models import Response
from pocketmentor.lib.outage import BUSY, DATABASE, DISK_FULL, outage_of
from pocketmentor.nudges.models import Nudge
from pocketmentor.nudges.tests.conftest import inbox  # noqa: F401 - a fixture
from pocketmentor.nudges.worker import Worker
from pocketmentor.views import server_error

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the database is cut through a TCP proxy: needs PostgreSQL (set DATABASE_URL)",
)


@pytest.fixture
def database_proxy(request):
    """Every new connection of this test goes to PostgreSQL through a proxy the test cuts."""
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    with CuttableProxy(saved[0] or "127.0.0.1", int(saved[1] or 5432)) as proxy:
        connections.close_all()
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(proxy.port)
        try:
            yield proxy
        finally:
            proxy.restore()
            connections.close_all()
            settings_dict["HOST"], settings_dict["PORT"] = saved


def resilient(client):
    """Like a browser: the page Django answers an error with, not the error itself."""
    client.raise_request_exception = False
    return client


def post_reflection(client, program, reflection, key: str, text: str = "Asked first"):
    data = {f"a{reflection.pk}-text": text, f"a{reflection.pk}-audiences": [],
            f"a{reflection.pk}-key": key}  # fmt: skip
    return client.post(week_url(program, f"activities/{reflection.pk}/"), data)


def test_outages_are_told_from_bugs():
    assert outage_of(OperationalError("connection refused")) == DATABASE
    assert outage_of(OperationalError("database is locked")) == BUSY
    assert outage_of(OperationalError("database or disk is full")) == DISK_FULL
    assert outage_of(OSError(errno.ENOSPC, "No space left on device")) == DISK_FULL
    assert outage_of(RuntimeError("a bug")) is None
    try:
        try:
            raise sqlite3.OperationalError("unable to open database file")
        except sqlite3.OperationalError as cause:
            raise RuntimeError("wrapped") from cause
    except RuntimeError as error:
        assert outage_of(error) is None  # the driver's own, not Django's: not ours to judge


def handled(error: Exception, request):
    """What the server answers a request that met `error`."""
    try:
        raise error
    except Exception:
        with translation.override("nb"):  # as LocaleMiddleware chose from the browser
            return server_error(request)


def test_with_the_disk_full_a_participant_is_told_the_answer_waits_and_staff_the_reason(program):
    full = OperationalError("database or disk is full")  # SQLite's words (SQLITE_FULL)
    requests = RequestFactory()
    posted = handled(full, requests.post(week_url(program, "activities/1/")))
    assert posted.status_code == 503
    assert "Svaret ditt er tatt vare på" in posted.content.decode()
    staff = handled(full, requests.get("/studio/fjordvik/p/lead/groups/"))
    assert staff.status_code == 503
    assert "Disken på serveren er full" in staff.content.decode()
    written = handled(OSError(errno.ENOSPC, "No space left"), requests.post("/studio/x/"))
    assert "Disken på serveren er full" in written.content.decode()


def test_any_other_error_is_still_the_plain_500_page(db):
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(RequestFactory().get("/o/fjordvik/lead/"))
    assert response.status_code == 500
    assert "Noe gikk galt" in response.content.decode()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_with_the_database_cut_a_participant_is_told_the_answer_waits_and_it_is_stored_once_later(
    ann, program, database_proxy
):
    client = resilient(signed_in(ann))
    assert client.get(week_url(program)).status_code == 200
    reflection = program.units.get(number=2).activities.get(kind="reflection")
    key = str(uuid.uuid4())
    database_proxy.cut()
    page = client.get(week_url(program), HTTP_ACCEPT_LANGUAGE="nb")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert page["Cache-Control"] == "no-store"
    assert "Prøv igjen om noen minutter" in page.content.decode()
    posted = post_reflection(client, program, reflection, key)
    assert posted.status_code == 503
    assert "Svaret ditt er tatt vare på på denne telefonen" in posted.content.decode()
    english = client.get(week_url(program), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please try again in a few minutes" in english  # the browser's language: no database
    database_proxy.restore()
    # The test client keeps its connection between requests; a server drops a broken one
    # when the next request starts (the burst, `make burst`, shows it on a real server).
    connections.close_all()
    for _ in range(2):  # the phone's outbox sends it again, perhaps twice: stored once
        assert post_reflection(client, program, reflection, key).status_code == 302
    assert Response.objects.filter(key=key).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_with_the_database_cut_staff_pages_and_the_api_say_what_is_wrong(
    admin_user, program, database_proxy
):
    client = resilient(signed_in(admin_user))
    database_proxy.cut()
    page = client.get("/studio/fjordvik/p/lead/insights/")
    assert page.status_code == 503
    assert "Databasen kan ikke nås" in page.content.decode()
    api = client.get("/xapi/statements", HTTP_ACCEPT="application/json")
    assert api.status_code == 503 and api.json() == {"error": "unavailable", "problem": "database"}
    database_proxy.restore()
    # The test client keeps its connection between requests; a server drops a broken one
    # when the next request starts (the burst, `make burst`, shows it on a real server).
    connections.close_all()
    assert client.get("/studio/fjordvik/p/lead/insights/").status_code == 200


def run_then_close(worker: Worker) -> None:
    try:
        worker.run(interval=0.05)
    finally:
        connections.close_all()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_one_line_a_round_while_the_database_is_cut_and_then_sends(
    ann,
    program,
    database_proxy,
    inbox,  # noqa: F811 - the fixture imported above
    caplog,
):
    stop = threading.Event()
    worker = Worker(name="outage", stop=stop)
    rounds = []
    original = worker.round

    def counted_round(**kwargs):
        rounds.append(database_proxy.open.is_set())
        return original(**kwargs)

    worker.round = counted_round
    database_proxy.cut()
    with time_machine.travel("2026-03-16 06:30:05Z", tick=True):  # week 3 opens in Oslo
        thread = threading.Thread(target=run_then_close, args=(worker,))
        with caplog.at_level(logging.INFO, logger="pocketmentor.nudges.worker"):
            thread.start()
            wait = threading.Event()
            while len(rounds) < 4:
                wait.wait(0.02)
            database_proxy.restore()
            while not inbox.messages and thread.is_alive():
                wait.wait(0.02)
            stop.set()
            thread.join(30)
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    cut_rounds = rounds.count(False)
    assert cut_rounds >= 4 and len(failed) in (cut_rounds, cut_rounds - 1)  # one a round
    assert all(r.exc_info is None for r in failed)  # a line, not a traceback
    assert "Worker round failed, OperationalError" in failed[0].getMessage()
    assert [m["To"] for m in inbox.messages] == ["ann@fjordvik.example"]
    assert Nudge.objects.get(person=ann, kind="release").state == "sent"


def backend_gone(pid: int, *, seconds: float = 10) -> bool:
    """Whether PostgreSQL's backend `pid` has exited, asked until `seconds` have passed."""
    watcher = connections.create_connection("default")
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with watcher.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return True
            threading.Event().wait(0.05)
    finally:
        watcher.close()
    return False


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_is_opened_anew_before_a_request_uses_it(client):
    """The health check asks the socket, not the server (lib/postgres): a live idle connection
    is usable, one whose backend was terminated (as by a restart) is replaced, unnoticed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        assert cursor.fetchone()[0] == "SELECT 'the last statement'"  # no SELECT 1 since
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
    assert backend_gone(pid)
    assert not connection.is_usable()
    close_old_connections()  # as a server does when a request starts (the test client not)
    answer = client.get("/healthz", HTTP_HOST="127.0.0.1")
    assert answer.status_code == 200 and answer.json()["database"] == "ok"
    assert connection.connection.info.backend_pid != pid
    assert connection.is_usable()
