"""The release fan-out, measured: one week opening for N participants, into an SMTP sink.

For the bench harness (`make bench`), on an empty, throwaway database that other processes can
open too (a file for SQLite): `release_fanout(participants=…, database_url=…)`. It enrolls N
participants in a live program whose first week opened a minute ago and plans the release,
then starts `pocketmentor worker --once` processes on that database (the configured tasks
backend, real claims, real SMTP) and times them until every message has reached a counting
SMTP server on loopback, itself in a process of its own.
"""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from pocketmentor.accounts.models import User
from pocketmentor.bench import Figure
from pocketmentor.bench.database import database_url as database_url_of
from pocketmentor.bench.load import free_port
from pocketmentor.learning.models import Enrollment
from pocketmentor.nudges import planning
from pocketmentor.nudges.models import Nudge, NudgeRules
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.programs.models import Program, Unit

PARTICIPANTS = {"municipality": 250, "national": 100_000}


def worker_process(
    *, database_url: str, email_port: int, data_dir: Path, name: str, once: bool, log, **env
) -> subprocess.Popen:
    """`pocketmentor worker` in a process of its own, on the given database and SMTP port."""
    environment = os.environ | {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": settings.SECRET_KEY,  # sign-in links as the site signs them
        "EMAIL_URL": f"smtp://127.0.0.1:{email_port}",
        "TASKS_BACKEND": settings.TASKS_BACKEND,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    command = [sys.executable, "-m", "pocketmentor.cli", "worker", "--name", name]
    if once:
        command.append("--once")
    return subprocess.Popen(  # noqa: S603 - our own command
        command, env=environment, stdout=log, stderr=subprocess.STDOUT
    )


def wait_with_cpu(process: subprocess.Popen) -> tuple[int, float]:
    """Wait for a process: its exit code and the CPU seconds (user and system) it used."""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


def seed(participants: int, *, slug: str = "fanout", gap_hours: int = 0):
    """A live program whose week 1 opened a minute ago, with messages allowed at any hour
    (`gap_hours` apart)."""
    now = timezone.now()
    opens = (now - dt.timedelta(minutes=1)).astimezone(dt.UTC)
    # The bench's other programs stay quiet: only this release is measured.
    quiet = {kind: False for kind in ("releases", "reminders", "feedback", "seminars", "digests")}
    NudgeRules.objects.bulk_create(
        [NudgeRules(organization=other, **quiet) for other in Organization.objects.all()],
        ignore_conflicts=True,
    )
    NudgeRules.objects.filter(program=None).update(**quiet)
    NudgeRules.objects.exclude(program=None).update(**quiet)
    org = Organization.objects.create(name=slug.title(), slug=slug, language="nb")
    program = Program.objects.create(
        organization=org, title=slug.title(), slug=slug, start_date=opens.date(),
        release_time=opens.time().replace(microsecond=0), time_zone="UTC", state="live",
    )  # fmt: skip
    Unit.objects.create(program=program, number=1, title="Uke 1", published_at=now)
    NudgeRules.objects.create(
        organization=org, program=program, working_days="1234567",
        day_starts=dt.time(0, 0), day_ends=dt.time(0, 0), min_gap_hours=gap_hours,
    )  # fmt: skip
    for start in range(0, participants, 5000):
        users = User.objects.bulk_create(
            # An unusable password ("!"), as people who sign in by link have.
            User(email=f"p{n}@{slug}.example", name=f"Deltaker {n}", password="!")  # noqa: S106
            for n in range(start, min(start + 5000, participants))
        )
        Membership.objects.bulk_create(
            Membership(organization=org, user=user, role="participant") for user in users
        )
        Enrollment.objects.bulk_create(Enrollment(program=program, user=user) for user in users)
    return program


def start_sink() -> tuple[int, subprocess.Popen]:
    """The counting SMTP server in a process of its own: its port and the process."""
    port = free_port()
    sink = subprocess.Popen(  # noqa: S603 - this module, run as a program
        [sys.executable, "-m", "pocketmentor.bench.smtp_sink", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if sink.stdout.readline().strip() != "ready":
        raise RuntimeError("the SMTP sink did not start")
    return port, sink


def stop_sink(sink: subprocess.Popen) -> tuple[int, int]:
    """Stop the sink: how many messages arrived, and how many of them were a second copy."""
    sink.send_signal(signal.SIGTERM)
    arrived = int(sink.stdout.readline() or 0)
    copies = int(sink.stdout.readline() or 0)
    _code, sink.cpu_seconds = wait_with_cpu(sink)
    return arrived, copies


def release_fanout(
    *,
    participants: int,
    database_url: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> list[tuple[str, float, str]]:
    """(bench, value, unit) figures: planning the release, and sending it to the last message.

    `database_url` names the current database for the worker processes (default: derived from
    the connection); `workers`: how many processes (default: one per core).
    """
    workers = workers or os.cpu_count() or 1
    url = database_url or database_url_of(connection.settings_dict)
    progress(f"fan-out: enrolling {participants} participants")
    seed(participants)
    progress("fan-out: planning the release")
    started = time.perf_counter()
    planned = planning.plan()
    plan_seconds = time.perf_counter() - started

    port, sink = start_sink()
    progress(f"fan-out: sending {planned} messages with {workers} worker processes")
    with tempfile.TemporaryDirectory(prefix="pocketmentor-fanout-") as folder:
        log = (Path(folder) / "workers.log").open("w+")
        started = time.perf_counter()
        processes = [
            worker_process(
                database_url=url,
                email_port=port,
                data_dir=Path(folder),
                name=f"fanout-{n}",
                once=True,
                log=log,
            )  # fmt: skip
            for n in range(workers)
        ]
        codes, cpu = [], 0.0
        for process in processes:
            code, seconds = wait_with_cpu(process)
            codes.append(code)
            cpu += seconds
        send_seconds = time.perf_counter() - started
        load = os.getloadavg()[0]
        arrived, _copies = stop_sink(sink)
        log.seek(0)
        output = log.read()
    sent = Nudge.objects.filter(state="sent").count()
    if any(codes) or arrived != participants or sent != participants:
        raise AssertionError(
            f"{arrived} arrived and {sent} sent of {participants}, exit {codes}\n{output}"
        )
    return [
        ("fanout.release.plan_seconds", round(plan_seconds, 1), "s"),
        ("fanout.release.seconds", round(send_seconds, 1), "s"),
        ("fanout.release.messages_per_second", round(participants / send_seconds), "messages/s"),
        ("fanout.release.worker_cpu_seconds", round(cpu, 1), "s"),
        ("fanout.release.worker_cpu_ms_per_message", round(1000 * cpu / participants, 2), "ms"),
        ("fanout.release.sink_cpu_seconds", round(sink.cpu_seconds, 1), "s"),
        ("fanout.release.loadavg", round(load, 1), "load"),
    ]


def killed_workers(
    *,
    participants: int = 1000,
    kills: int = 3,
    lease_seconds: int | None = None,
    database_url: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> list[tuple[str, float, str]]:
    """(bench, value, unit) figures: a release sent by a worker killed with SIGKILL `kills` times
    mid-batch, a new worker started at once each time; the copies that arrived twice per 1,000
    messages, how many messages the dead workers' claims held, and how long after a kill the
    last of them went out (the longest of the kills).

    The lease is the configured one unless `lease_seconds` is given (the tests' short one).
    Messages keep the rules' default gap (12 hours), so a message slot a dead worker took and
    never used would hold its message back for that long, past the bench's deadline.
    """
    lease = lease_seconds or settings.NUDGES_LEASE_SECONDS
    url = database_url or database_url_of(connection.settings_dict)
    progress(f"killed workers: enrolling {participants} participants")
    seed(participants, slug="killed", gap_hours=NudgeRules().min_gap_hours)
    planning.plan()
    port, sink = start_sink()
    env = {"NUDGES_LEASE_SECONDS": str(lease), "NUDGES_WORKER_INTERVAL": "1"}
    env |= {"NUDGES_BATCH_SIZE": "20"}
    sent = Nudge.objects.filter(state=Nudge.State.SENT)
    orphans: list[tuple[float, set[int]]] = []  # (killed at, the rows its claim held)
    recovered: list[float] = []
    held_counts: list[int] = []
    deadline = time.monotonic() + 60 + (kills + 1) * (lease + 60)

    def watch() -> None:
        time.sleep(0.02)
        if time.monotonic() > deadline:
            raise AssertionError(f"{sent.count()} of {participants} sent before the deadline")
        while orphans and not sent.filter(pk__in=orphans[0][1]).count() < len(orphans[0][1]):
            recovered.append(time.monotonic() - orphans.pop(0)[0])

    processes: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pocketmentor-kill-") as folder:
            log = (Path(folder) / "workers.log").open("w+")
            for number in range(kills + 1):
                process = worker_process(
                    database_url=url, email_port=port, data_dir=Path(folder),
                    name=f"killed-{number}", once=False, log=log, **env,
                )  # fmt: skip
                processes.append(process)
                if number == kills:
                    break
                # Mid-batch (batches of 20): not right after a batch's last message, and while
                # it holds a claim (a batch recorded at once leaves none between two batches).
                target = participants * (number + 1) // (kills + 2) // 20 * 20 + 7
                token = f"{socket.gethostname()[:30]}:{process.pid}:"  # as dispatch.claim makes it
                held = Nudge.objects.filter(state=Nudge.State.CLAIMED, claimed_by__startswith=token)
                while sent.count() < target or not held.exists():
                    watch()
                process.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                process.wait(30)
                orphaned = set(held.values_list("pk", flat=True))
                held_counts.append(len(orphaned))
                if orphaned:
                    orphans.append((killed_at, orphaned))
                progress(f"killed workers: killed a worker holding {len(orphaned)} messages")
            while sent.count() < participants or orphans:
                watch()
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(30)
        arrived, copies = stop_sink(sink)
    if arrived - copies != participants:
        raise AssertionError(f"{arrived - copies} people of {participants} got the message")
    return [
        ("fanout.kill.duplicates_per_1000", round(1000 * copies / participants, 1), "messages"),
        ("fanout.kill.orphaned", sum(held_counts), "messages"),
        ("fanout.kill.recovery_seconds", round(max(recovered, default=0), 1), "s"),
        ("fanout.kill.lease_seconds", lease, "s"),
    ]


def measure(*, size: str, database_url: str, progress: Callable[[str], None]) -> list[Figure]:
    """The fan-out at a bench size, as the harness's figures."""
    figures = release_fanout(
        participants=PARTICIPANTS[size], database_url=database_url, progress=progress
    )
    if size == "municipality":
        figures += killed_workers(database_url=database_url, progress=progress)
    return [Figure(*figure) for figure in figures]
