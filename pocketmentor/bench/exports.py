"""The participants export at the size's participant count: CSV as it streams, XLSX in the worker.

Each export runs in a child process of its own (`python -m pocketmentor.bench.exports`), on
the bench database, through Django's test client as a signed-in admin, so that its memory is
its own: the peak is the child's resident high-water mark (`VmHWM`) when the export is done,
minus its resident size just before the request (the mark reset to it then), with Django set
up, the admin signed in, the connection open and a first staff page served. The CSV's
figures are the time to the first bytes of the answer, to the first participant's row, and to
the last byte; the Excel file is built as the worker builds it (the task's body,
`insights.exports.export_build`), from the request to the file stored.

The national data has no engagement rows (the generator writes responses, not the insights'
rollups), so `prepare` writes one per enrollment that lacks one, with weeks active drawn at
random: the export's shape and size are those of a real program of that size. The figures are
refreshed before each export, as the worker keeps them, so the request finds them current.
"""

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from pocketmentor.bench import Figure

CHILD_TIMEOUT = 1800  # seconds


def measure(*, database_url: str, folder: Path, progress) -> list[Figure]:
    from pocketmentor.bench.load import server_env

    slugs = prepare(progress=progress)
    env = server_env(database_url, folder)
    figures = []
    for table in ("participants", "figures"):
        _figures_current(slugs[1])
        progress(f"exports: {table} as CSV, in a child process")
        csv = _child(env, "csv", table, *slugs)
        name = f"exports.{table}.csv"
        figures += [
            Figure(f"{name}.rows", csv["rows"], "rows"),
            Figure(f"{name}.first_byte_seconds", round(csv["first_byte"], 3), "s"),
            Figure(f"{name}.first_row_seconds", round(csv["first_row"], 3), "s"),
            Figure(f"{name}.seconds", round(csv["seconds"], 2), "s"),
            Figure(f"{name}.megabytes", round(csv["bytes"] / 2**20, 2), "MiB"),
            Figure(f"{name}.peak_memory_mb", round(csv["peak_mb"], 1), "MiB"),
        ]
    progress("exports: participants as Excel, built as the worker builds it")
    xlsx = _child(env, "xlsx", "participants", *slugs)
    figures += [
        Figure("exports.participants.xlsx.worker_seconds", round(xlsx["seconds"], 2), "s"),
        Figure("exports.participants.xlsx.megabytes", round(xlsx["bytes"] / 2**20, 2), "MiB"),
        Figure("exports.participants.xlsx.peak_memory_mb", round(xlsx["peak_mb"], 1), "MiB"),
        Figure("exports.loadavg", round(os.getloadavg()[0], 2), "load"),
    ]
    return figures


def prepare(*, progress) -> tuple[str, str, str]:
    """The measured program's organization, program and an admin's e-mail, ready to export."""
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from pocketmentor.accounts.models import User
    from pocketmentor.bench import bulk
    from pocketmentor.insights.models import Engagement, WeekFigure
    from pocketmentor.insights.services import figures_refresh
    from pocketmentor.learning.models import Enrollment
    from pocketmentor.orgs.models import Membership
    from pocketmentor.programs.models import Program

    program = Program.objects.select_related("organization").order_by("pk").first()
    org = program.organization
    email = "exports-admin@bench.example"
    admin, _ = User.objects.get_or_create(email=email, defaults={"name": "Bench Admin"})
    Membership.objects.get_or_create(
        organization=org, user=admin, defaults={"role": Membership.Role.ADMIN}
    )
    missing = list(
        Enrollment.objects.filter(program=program)
        .exclude(Exists(Engagement.objects.filter(enrollment=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    if missing:
        progress(f"exports: engagement rows for {len(missing):,} enrollments")
        rng = random.Random(16)
        weeks = min(program.week_at(), 52)
        full = (1 << weeks) - 1
        stamp = bulk.utc_text()
        last = stamp(int(time.time()) - 86_400)
        rows = []
        for pk in missing:
            masks = [rng.getrandbits(weeks) | rng.getrandbits(weeks) for _kind in range(4)]
            masks = [m & full for m in masks]
            done = sum(m.bit_count() for m in masks)
            rows.append((pk, program.pk, *masks, done, last))
        fields = ["enrollment", "program", "reflection_weeks", "task_weeks", "quiz_weeks",
                  "poll_weeks", "done", "last_done_at"]  # fmt: skip
        bulk.write_rows(Engagement, fields, rows)
    progress("exports: the figures refreshed, as the worker keeps them")
    figures_refresh(program=program, full=True)
    if connection.vendor == "postgresql":
        # As autovacuum soon would: with the statistics of the empty tables, PostgreSQL reads
        # the figures of 500 groups by scanning every group's (2.5 s a query instead of 5 ms).
        with connection.cursor() as cursor:
            for model in (Engagement, WeekFigure):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return org.slug, program.slug, email


def _figures_current(program_slug: str) -> None:
    """As the worker keeps them: refreshed within the minute, so a request finds them current."""
    from pocketmentor.insights.services import figures_refresh
    from pocketmentor.programs.models import Program

    figures_refresh(program=Program.objects.get(slug=program_slug))


def _child(env: dict[str, str], kind: str, table: str, *slugs: str) -> dict:
    command = [sys.executable, "-m", "pocketmentor.bench.exports", kind, table, *slugs]
    done = subprocess.run(  # noqa: S603 - our own module
        command, env=env, check=True, timeout=CHILD_TIMEOUT, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _memory() -> dict[str, float]:
    """This process's resident memory now and its high-water mark, in MiB."""
    status = Path("/proc/self/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines() if line.startswith("Vm"))
    return {name: int(values[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM")}


def _baseline() -> float:
    """Reset the high-water mark to the resident size now (Linux 4.0 on), and return it.

    Not `resource.getrusage(...).ru_maxrss`: after exec it keeps the peak of the process that
    started this one (the bench, hundreds of MiB after generating the data), so a smaller
    peak here never shows in it.
    """
    Path("/proc/self/clear_refs").write_text("5")
    return _memory()["VmRSS"]


def _peak_since(baseline: float) -> float:
    # The kernel updates the mark lazily: a process that grew by nothing may read a few
    # pages below its baseline, which is no growth.
    return max(0.0, _memory()["VmHWM"] - baseline)


def _csv(table: str, org: str, program: str, email: str) -> dict:
    from django.test import Client

    from pocketmentor.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    url = f"/studio/{org}/p/{program}/insights/export/{table}.csv"
    # A first staff page, so that what any first request loads is not counted as the export's.
    assert client.get(f"/studio/{org}/p/{program}/").status_code == 200
    before = _baseline()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    first_byte = first_row = None
    size = lines = 0
    for chunk in response.streaming_content:
        if first_byte is None and chunk:
            first_byte = time.perf_counter() - started
        lines += chunk.count(b"\n")
        if first_row is None and lines >= 2:
            first_row = time.perf_counter() - started
        size += len(chunk)
    seconds = time.perf_counter() - started
    return {
        "first_byte": first_byte,
        "first_row": first_row if first_row is not None else seconds,
        "seconds": seconds,
        "bytes": size,
        "rows": max(lines - 1, 0),
        "peak_mb": _peak_since(before),
    }


def _xlsx(table: str, org: str, program: str, email: str) -> dict:
    from django.core.files.storage import default_storage
    from django.utils import translation

    from pocketmentor.accounts.models import User
    from pocketmentor.insights import exports
    from pocketmentor.programs.models import Program

    admin = User.objects.get(email=email)
    found = Program.objects.select_related("organization").get(organization__slug=org, slug=program)
    before = _baseline()
    started = time.perf_counter()
    with translation.override(found.organization.language):
        job = exports.export_request(
            program=found, table=table, user=admin, language=found.organization.language,
            enqueue=False,
        )  # fmt: skip
    exports.export_build(job_id=str(job.pk))
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    assert job.state == job.State.READY, job.state
    return {
        "seconds": seconds,
        "bytes": default_storage.size(job.file),
        "peak_mb": _peak_since(before),
    }


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pocketmentor.settings")
    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's hosts and the bench's in-memory e-mail
    kind, *arguments = sys.argv[1:]
    result = _csv(*arguments) if kind == "csv" else _xlsx(*arguments)
    print(json.dumps(result))  # noqa: T201 - the parent reads it
