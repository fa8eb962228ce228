"""Workers side by side (threads, and a process killed mid-batch): every message once."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from pocketmentor.bench.database import database_url
from pocketmentor.conftest import enroll, make_person
from pocketmentor.insights.models import ProgramInsight
from pocketmentor.insights.services import figures_current, schedule_moved
from pocketmentor.nudges.models import Nudge, NudgeRules
from pocketmentor.nudges.tests.conftest import at, local, on_postgresql
from pocketmentor.nudges.worker import Worker
from pocketmentor.programs.models import Program, Unit

UTC = dt.UTC
REDIS = "redis://127.0.0.1:6379/0"
MINUTE = dt.timedelta(minutes=1)


def side_by_side(workers: int = 2) -> None:
    """Run workers in threads at the same moment until each finds nothing more to do.

    The test database of SQLite lives in memory, where a second connection meets table locks
    instead of waiting its turn as it does on a file: there the workers take turns instead.
    """
    if connection.vendor == "sqlite":
        crew = [Worker(name=f"w{n}", batch=3) for n in range(workers)]
        for member in crew:
            member.round(plan=True)
        while any([member.round() for member in crew]):
            pass
        return
    errors = []

    def run(name):
        try:
            Worker(name=name, batch=3).run_until_idle()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f"w{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def scenario(program, inbox, people):
    """Release, reminder and digest around the switch to summer time (29 March 2026)."""
    participants, staff = len(people["participants"]), len(people["staff"])
    steps = [
        (local(2026, 3, 23, 7, 29), 0),
        (local(2026, 3, 23, 7, 30, 5), participants),  # week 4 opens (CET, 06:30 UTC)
        (local(2026, 3, 25, 11, 59), 0),
        (local(2026, 3, 25, 12, 0, 5), participants),  # first reminder
        (local(2026, 3, 27, 12, 0, 5), participants),  # second reminder
        (local(2026, 3, 27, 13, 0, 5), staff),  # the digest
        (dt.datetime(2026, 3, 30, 5, 29, tzinfo=UTC), 0),  # 07:29 CEST
        (dt.datetime(2026, 3, 30, 5, 30, 5, tzinfo=UTC), participants),  # week 5 opens
    ]
    for moment, expected in steps:
        before = len(inbox.messages)
        with at(moment):
            side_by_side()
        assert len(inbox.messages) - before == expected, moment
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == len(set(ids)) == len(inbox.attempts)  # no message twice, none retried
    counts = inbox.count()
    for person in people["participants"]:
        assert {s: n for (to, s), n in counts.items() if to == person.email} == {
            "Uke 4 er åpen: Week 4 challenge": 1,
            "Fem minutter til uke 4?": 2,
            "Uke 5 er åpen: Week 5 challenge": 1,
        }
    for person in people["staff"]:
        assert [s for to, s in counts if to == person.email] == ["Uke 4 i Leading: 0 % aktive"]
    assert not Nudge.objects.exclude(state__in=["sent", "skipped", "pending"]).exists()


@pytest.fixture
def people(org, program, admin_user, facilitator):
    participants = [
        make_person(f"p{n}@fjordvik.example", org=org, role="participant") for n in range(7)
    ]
    for person in participants:
        enroll(person, program)
    return {"participants": participants, "staff": [admin_user, facilitator]}


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_message_once_at_local_time_across_the_dst_change(
    program, inbox, people
):
    scenario(program, inbox, people)


@pytest.fixture
def redis_tasks(settings):
    import redis

    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.ConnectionError:  # pragma: no cover
        pytest.skip("no Redis at 127.0.0.1:6379")
    queue = f"nudges-test-{uuid.uuid4().hex[:8]}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue]}}
    settings.RQ_QUEUES = {queue: {"URL": REDIS, "DEFAULT_TIMEOUT": 300}}
    yield queue
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"rq:*{queue}*"):
        client.delete(key)


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_redis_backend_send_each_message_once(
    program, inbox, people, redis_tasks
):
    from django_tasks import task_backends

    assert type(task_backends["default"]).__name__ == "RQBackend"
    scenario(program, inbox, people)


def start_worker(
    inbox_port: int, data_dir: Path, name: str, *, lease: int = 4, batch: int = 5
) -> subprocess.Popen:
    """`pocketmentor worker` in its own process, on the test database, mailing the inbox."""
    env = os.environ | {
        "DATABASE_URL": database_url(connection.settings_dict),
        "DATA_DIR": str(data_dir),
        "EMAIL_URL": f"smtp://127.0.0.1:{inbox_port}",
        "TASKS_BACKEND": "database",
        "NUDGES_LEASE_SECONDS": str(lease),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "pocketmentor.cli", "worker", "--interval", "0.2"]
    log = (data_dir / f"{name}.log").open("w")
    return subprocess.Popen(  # noqa: S603 - our own command, arguments fixed above
        [*command, "--batch", str(batch), "--name", name], env=env, stdout=log, stderr=log
    )


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time_machine.escape_hatch.time.time() + seconds
    while not condition():
        assert time_machine.escape_hatch.time.time() < deadline, "timed out"
        time.sleep(0.05)


def program_open_now(org, people: int, *, gap_hours: int = 0) -> list:
    """A live program whose week opened a minute ago on the real clock (the workers' clock),
    messages allowed at any hour (`gap_hours` apart), and its participants."""
    real_now = dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)
    with time_machine.travel(real_now, tick=True):
        opens = (real_now - dt.timedelta(minutes=1)).astimezone(ZoneInfo("Europe/Oslo"))
        program = Program.objects.create(
            organization=org, title="Now", slug="now", start_date=opens.date(),
            release_time=opens.time().replace(second=0, microsecond=0), state="live",
        )  # fmt: skip
        Unit.objects.create(program=program, number=1, title="First", published_at=real_now)
        NudgeRules.objects.create(
            organization=org, program=program, working_days="1234567",
            day_starts=dt.time(0, 0), day_ends=dt.time(0, 0), min_gap_hours=gap_hours,
        )  # fmt: skip
        participants = [
            make_person(f"k{n}@fjordvik.example", org=org, role="participant")
            for n in range(people)
        ]
        for person in participants:
            enroll(person, program)
    return participants


def killed_while_the_server_holds_a_message(inbox, tmp_path, *, batch: int) -> None:
    """Start a worker and kill it with SIGKILL while the server holds back its reply to the
    `inbox.hold`-th message (it has the message, and has not yet said yes)."""
    first = start_worker(inbox.port, tmp_path, "first", batch=batch)
    try:
        wait_for(inbox.holding.is_set)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        inbox.release.set()
        if first.poll() is None:  # pragma: no cover
            first.kill()


def restarted_until_all_sent(inbox, tmp_path, people, *, batch: int, seconds: float = 60):
    """Start a worker again, stop it with SIGTERM once every message is recorded as sent,
    within `seconds`: (recipient, subject) → how many copies arrived."""
    second = start_worker(inbox.port, tmp_path, "second", batch=batch)
    try:
        sent = Nudge.objects.filter(state="sent")
        wait_for(lambda: sent.count() == len(people), seconds=seconds)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        if second.poll() is None:  # pragma: no cover
            second.kill()
    counts = inbox.count()
    assert sorted(to for to, _subject in counts) == sorted(p.email for p in people)
    return counts


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_and_restarted_leaves_every_message_sent_once(
    org, inbox, tmp_path
):
    people = program_open_now(org, 23)
    inbox.hold = 12  # the 12th message, in the middle of the third batch of five
    killed_while_the_server_holds_a_message(inbox, tmp_path, batch=5)
    assert len(inbox.messages) == 11
    assert Nudge.objects.filter(state="claimed").exists()
    counts = restarted_until_all_sent(inbox, tmp_path, people, batch=5)
    # The one held when the worker died went again; so may the one before it, which the
    # server took in the same group a moment earlier, not yet recorded: nothing else.
    copies = [to for (to, _subject), n in counts.items() if n > 1]
    assert set(copies) <= {people[10].email} and max(counts.values()) <= 2
    assert inbox.received == len(people) + 1 + len(copies)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_group_leaves_no_slot_taken_so_the_group_goes_within_the_lease(
    org, inbox, tmp_path
):
    """The dead worker had taken the message slots of its whole group (twelve hours apart)
    before it sent the first: the next worker sends the rest once the lease ends, not twelve
    hours later, and sends again only what the server took since the last record."""
    people = program_open_now(org, 23, gap_hours=12)
    inbox.hold = 12  # the 12th message of the group of 23
    killed_while_the_server_holds_a_message(inbox, tmp_path, batch=25)
    assert len(inbox.messages) == 11
    assert Nudge.objects.filter(state="claimed").count() >= 12  # the held one and the rest
    # The lease is four seconds: the rest goes then, however long the gap.
    counts = restarted_until_all_sent(inbox, tmp_path, people, batch=25, seconds=45)
    # Copies only of what the server took before the kill and not yet recorded, once each.
    copies = {to for (to, _subject), n in counts.items() if n > 1}
    assert copies <= {p.email for p in people[:11]} and max(counts.values()) <= 2
    assert not Nudge.objects.exclude(state="sent").exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_slow_batch_renews_its_lease_so_a_second_worker_sends_none_of_it_again(
    org, inbox, tmp_path
):
    people = program_open_now(org, 16)
    inbox.delay = 0.4  # the batch of all sixteen takes six seconds: three leases
    first = start_worker(inbox.port, tmp_path, "first", lease=2, batch=16)
    workers = [first]
    try:
        wait_for(lambda: inbox.received)
        workers.append(start_worker(inbox.port, tmp_path, "second", lease=2, batch=16))
        wait_for(lambda: Nudge.objects.filter(state="sent").count() == len(people))
        for process in workers:
            process.send_signal(signal.SIGTERM)
        assert [process.wait(30) for process in workers] == [0, 0]
    finally:
        for process in workers:
            if process.poll() is None:  # pragma: no cover
                process.kill()
    assert inbox.received == len(people)  # no row was taken back while its batch was sending
    assert set(inbox.count().values()) == {1}


def test_the_worker_rebuilds_the_figures_of_a_program_whose_start_moved(ann, program, worker):
    with at(local(2026, 3, 23, 9, 0)):
        figures_current(program=program)
        program.start_date -= dt.timedelta(days=7)
        program.save()
        assert schedule_moved(figures_current(program=program), program)  # a page waits
        worker.round(plan=True)
    assert not schedule_moved(ProgramInsight.objects.get(program=program), program)


def test_a_failing_job_of_another_app_neither_stops_the_messages_nor_the_heartbeat(
    ann, program, inbox, worker, monkeypatch, caplog
):
    from pocketmentor.lib import schedule
    from pocketmentor.nudges.models import WorkerHeartbeat

    ran = []

    def broken(now):
        ran.append(now)
        raise RuntimeError("the figures are broken")

    # Declared first, so it runs before the nudges' own planning in every round.
    monkeypatch.setattr(
        schedule,
        "JOBS",
        {"test.broken": schedule.Job("test.broken", MINUTE, broken)} | schedule.JOBS,
    )
    with at(local(2026, 3, 23, 7, 30, 5)):  # week 4 opens
        worker.run_until_idle()
    assert [m["To"] for m in inbox.messages] == ["ann@fjordvik.example"]
    assert len(ran) == 1  # at its interval, not in each of the rounds until idle
    assert "Periodic job test.broken failed, RuntimeError: the figures are broken" in caplog.text
    assert WorkerHeartbeat.objects.get(name="test-worker").messages_sent == 1


def test_the_worker_runs_each_declared_job_at_its_own_interval(program, worker, monkeypatch):
    from pocketmentor.lib import schedule

    ran = []
    hourly = schedule.Job("test.hourly", 60 * MINUTE, ran.append)
    monkeypatch.setattr(schedule, "JOBS", {"test.hourly": hourly})
    for minutes in (0, 1, 59, 60, 61):
        with time_machine.travel(local(2026, 3, 23, 9, 0) + minutes * MINUTE, tick=False):
            worker.round()
    assert ran == [local(2026, 3, 23, 9, 0), local(2026, 3, 23, 10, 0)]
