"""CSV and XLSX exports of the figures and of the per-participant activity table.

Only numbers, names and dates: no text anyone wrote ever leaves through an export. Cells
that a spreadsheet would take for a formula are prefixed with an apostrophe. Times are
local: with their UTC offset in CSV, and with the zone in the column's heading.

CSV streams at any size, in the memory of a few thousand rows. An Excel file of up to
`XLSX_IN_REQUEST` cells is made in the request (about 100,000 cells a second); a larger one
is made by a worker (`export_request`, then the task `insights.tasks.export_file_build` runs
`export_build`) into the default storage, where its requester alone downloads it until
`exports_prune` deletes it a day after it was asked for.
"""

import datetime as dt
import logging
import tempfile
import uuid
from collections.abc import Iterator

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pocketmentor.accounts.models import User
from pocketmentor.insights.models import ExportFile, ProgramInsight, WeekFigure
from pocketmentor.insights.rollups import week_bit
from pocketmentor.insights.selectors import AT_RISK_AFTER
from pocketmentor.insights.services import figures_current, program_weeks
from pocketmentor.learning.models import Enrollment
from pocketmentor.lib.ordering import natural_key
from pocketmentor.lib.spreadsheets import XLSX, xlsx_response, xlsx_write  # noqa: F401
from pocketmentor.programs.models import Group, Program

logger = logging.getLogger(__name__)

XLSX_IN_REQUEST = 100_000  # cells: about a second of the request; larger files in a worker
XLSX_CELLS = 20_000_000  # cells a worker makes into one file at most (a few minutes)
PARTICIPANT_COLUMNS, FIGURE_COLUMNS = 10, 6
KEPT_FOR = dt.timedelta(days=1)  # an Excel file made by a worker, from its request
# Asking again within this time finds the file being prepared; after it, a worker that died
# while making it is not waited for, and the request starts a new one.
REUSED_FOR = dt.timedelta(minutes=30)
ROWS_AT_ONCE = 2000  # participants read from the database at a time
FOLDER = "exports"  # in the default storage; never served as /media/ (pocketmentor.views)
TABLES = ("figures", "participants")


def export_rows(*, program: Program, table: str) -> tuple[Iterator[list], str]:
    """The rows of `table` in the current language and time zone, and the sheet's title."""
    if table == "figures":
        figures_current(program=program)
        return figures_rows(program=program), _("Figures")
    # The participants' rows are kept current as they answer: the figures need no refresh
    # (which at 100,000 participants takes seconds), unless they were never made.
    state = ProgramInsight.objects.filter(program=program).first()
    if state is None:
        state = figures_current(program=program)
    weeks = max(min(program.week_at(), program_weeks(program)), 0)
    return participants_rows(program=program, kinds=state.kinds, weeks=weeks), _("Participants")


def export_name(*, program: Program, table: str) -> str:
    return f"{program.slug}-{table}-{timezone.localdate():%Y-%m-%d}"


def export_request(
    *, program: Program, table: str, user: User, language: str, enqueue: bool = True
) -> ExportFile:
    """Ask a worker for `table` as an Excel file; the one being prepared for the same person,
    program and table if there is one (asked for within `REUSED_FOR`), so that asking again
    starts no second file."""
    from pocketmentor.insights.tasks import export_file_build

    with transaction.atomic():
        # One request at a time per program (PostgreSQL; SQLite writes one at a time anyway).
        Program.objects.select_for_update().only("pk").get(pk=program.pk)
        waiting = (
            ExportFile.objects.filter(
                program=program,
                requested_by=user,
                table=table,
                state=ExportFile.State.PREPARING,
                created_at__gte=timezone.now() - REUSED_FOR,
            )
            .order_by("-created_at")
            .first()
        )
        if waiting is not None:
            return waiting
        job = ExportFile.objects.create(
            organization_id=program.organization_id, program=program, requested_by=user,
            table=table, language=language, filename=export_name(program=program, table=table),
            created_at=timezone.now(),
        )  # fmt: skip
    if enqueue:  # once the row is there for the worker to read
        export_file_build.enqueue(job_id=str(job.pk))
    return job


def export_build(*, job_id: str) -> str:
    """Make a requested Excel file and store it (the worker's task); the job's state after.

    The rows are those of the moment it runs, in the requester's language and the
    organization's time zone; a job already made or failed is left alone.
    """
    job = (
        ExportFile.objects.select_related("program__organization")
        .filter(pk=job_id, state=ExportFile.State.PREPARING)
        .first()
    )
    if job is None:
        return "done"
    program = job.program
    try:
        with (
            translation.override(job.language),
            timezone.override(program.organization.time_zone),
            tempfile.TemporaryFile() as out,
        ):
            rows, title = export_rows(program=program, table=job.table)
            count = xlsx_write(rows, out, title)
            out.seek(0)
            name = default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}.xlsx", File(out))
    except Exception:
        logger.exception("The Excel file %s could not be made", job.pk)
        ExportFile.objects.filter(pk=job.pk).update(
            state=ExportFile.State.FAILED, finished_at=timezone.now()
        )
        return ExportFile.State.FAILED
    updated = ExportFile.objects.filter(pk=job.pk, state=ExportFile.State.PREPARING).update(
        state=ExportFile.State.READY, file=name, rows=max(count - 1, 0), finished_at=timezone.now()
    )
    if not updated:  # pruned, or made by another worker meanwhile
        default_storage.delete(name)
    return ExportFile.State.READY


def exports_prune(now: dt.datetime) -> int:
    """Delete the Excel files asked for more than a day ago, and any stored file left
    without its row as long; how many files were deleted."""
    deleted = 0
    old = ExportFile.objects.filter(created_at__lt=now - KEPT_FOR)
    for name in old.exclude(file="").values_list("file", flat=True):
        default_storage.delete(name)
        deleted += 1
    old.delete()
    try:
        _folders, names = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return deleted
    known = set(ExportFile.objects.exclude(file="").values_list("file", flat=True))
    for name in names:
        path = f"{FOLDER}/{name}"
        if path not in known and default_storage.get_modified_time(path) < now - KEPT_FOR:
            default_storage.delete(path)
            deleted += 1
    return deleted


def figures_rows(*, program: Program) -> Iterator[list]:
    """Week by week: the program, each department and each group (materialised figures).

    Departments and groups come in the order of their names ("Gruppe 2" before "Gruppe 10"),
    which the database cannot sort: the names are sorted here (one small query each), then
    their figures read `FIGURES_CHUNK` names at a time, so 10,000 groups of 26 weeks never
    sit in memory together.
    """
    yield [_("Breakdown"), _("Name"), _("Week"), _("Enrolled"), _("Active participants"),
           _("Rate (%)")]  # fmt: skip
    figures = WeekFigure.objects.filter(program=program)
    label = _("Program")
    for f in figures.filter(dimension=WeekFigure.Dimension.PROGRAM).order_by("week"):
        yield _figure_row(label, program.title, f)
    departments = figures.filter(dimension=WeekFigure.Dimension.DEPARTMENT)
    found = departments.values_list("department", flat=True).distinct()
    names = {d: d or _("No department") for d in found}
    yield from _named_rows(_("Department"), departments, "department", names)
    groups = figures.filter(dimension=WeekFigure.Dimension.GROUP)
    names = dict(Group.objects.filter(program=program).values_list("pk", "name"))
    if groups.filter(group__isnull=True).exists():
        names[None] = _("Without a group")
    yield from _named_rows(_("Group"), groups, "group", names)


FIGURES_CHUNK = 500  # names whose figures are read in one query


def _named_rows(label: str, figures, field: str, names: dict) -> Iterator[list]:
    ranked = sorted(names, key=lambda value: natural_key(names[value]))
    rank = {value: n for n, value in enumerate(ranked)}
    column = WeekFigure._meta.get_field(field).attname
    for start in range(0, len(ranked), FIGURES_CHUNK):
        chunk = ranked[start : start + FIGURES_CHUNK]
        known = [value for value in chunk if value is not None]
        wanted = Q(**{f"{column}__in": known})
        if None in chunk:
            wanted |= Q(**{f"{column}__isnull": True})
        found = sorted(figures.filter(wanted), key=lambda f: (rank[getattr(f, column)], f.week))
        for f in found:
            yield _figure_row(label, names[getattr(f, column)], f)


def _figure_row(label: str, name: str, f: WeekFigure) -> list:
    rate = round(100 * f.active / f.enrolled, 1) if f.enrolled else 0.0
    return [label, name, f.week, f.enrolled, f.active, rate]


def participants_rows(*, program: Program, kinds: list[str], weeks: int) -> Iterator[list]:
    """One row per participant: who, where, how much they did, and each week active or not.

    One query, read `ROWS_AT_ONCE` rows at a time (a server-side cursor on PostgreSQL), from
    the enrollments: one enrolled since the figures last refreshed, and so still without
    its engagement row, is listed too, having done nothing yet.
    """
    now = timezone.now()
    header = [
        _("Name"),
        _("E-mail"),
        _("Group"),
        _("Department"),
        _("Enrolled"),
        _("Status"),
        _("Activities done"),
        _("Weeks active"),
        _("Last activity (%(zone)s)") % {"zone": timezone.get_current_timezone_name()},
        _("At risk"),
    ]
    yield header + [_("Week %(number)s") % {"number": w} for w in range(1, weeks + 1)]
    member = Q(user__memberships__organization_id=program.organization_id)
    rows = (
        Enrollment.objects.filter(program=program)
        .annotate(member=FilteredRelation("user__memberships", condition=member))
        .values_list(
            "user__name",
            "user__email",
            "group__name",
            "member__department",
            "enrolled_at",
            "is_active",
            "engagement__left_at",
            "engagement__done",
            "engagement__last_done_at",
            *[f"engagement__{kind}_weeks" for kind in kinds],
        )
        .order_by("user__name", "user__email")
    )
    # Each week's end, and its bit; the words every row repeats, translated once.
    ends = [(program.opens_at(w + 1), week_bit(w)) for w in range(1, weeks + 1)]
    status = {True: _("Active"), False: _("Deactivated")}
    risk = {True: _("Yes"), False: _("No")}
    zone = timezone.get_current_timezone()
    quiet_since = now - AT_RISK_AFTER
    for (
        name,
        email,
        group,
        department,
        enrolled_at,
        active,
        left_at,
        done,
        last,
        *masks,
    ) in rows.iterator(ROWS_AT_ONCE):
        mask = 0
        for m in masks:
            mask |= m or 0
        flags: list = [
            (1 if mask & bit else 0)
            if enrolled_at < end and (left_at is None or left_at >= end)
            else ""
            for end, bit in ends
        ]
        at_risk = active and (
            (last is not None and last < quiet_since)
            or (last is None and enrolled_at < quiet_since)
        )
        yield [
            name,
            email,
            group or "",
            department or "",
            enrolled_at.astimezone(zone).date(),
            status[active],
            done or 0,
            flags.count(1),
            last.astimezone(zone).replace(microsecond=0) if last else "",
            risk[bool(at_risk)],
            *flags,
        ]


def cells(*, program: Program, table: str) -> int:
    """How many cells an export of `table` would have: a count or two."""
    if table == "figures":
        return WeekFigure.objects.filter(program=program).count() * FIGURE_COLUMNS
    weeks = WeekFigure.objects.filter(program=program, dimension="program").count()
    # Enrollments, not engagement rows: a new enrollment gets its row when the figures refresh.
    return Enrollment.objects.filter(program=program).count() * (PARTICIPANT_COLUMNS + weeks)
