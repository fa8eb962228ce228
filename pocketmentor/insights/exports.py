"""CSV and XLSX exports of the figures and of the per-participant activity table.

Only numbers, names and dates: no text anyone wrote ever leaves through an export. Cells
that a spreadsheet would take for a formula are prefixed with an apostrophe. Times are
local: with their UTC offset in CSV, and with the zone in the column's heading.
"""

from collections.abc import Iterator

from django.db.models import FilteredRelation, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pocketmentor.insights.models import Engagement, WeekFigure
from pocketmentor.insights.rollups import week_bit
from pocketmentor.insights.selectors import AT_RISK_AFTER
from pocketmentor.lib.ordering import natural_key
from pocketmentor.lib.spreadsheets import XLSX, xlsx_response  # noqa: F401 - views use them
from pocketmentor.programs.models import Program

# An Excel file is made in the request, about 100,000 cells a second; CSV streams at any size.
XLSX_CELLS = 1_000_000
PARTICIPANT_COLUMNS, FIGURE_COLUMNS = 10, 6


def figures_rows(*, program: Program) -> Iterator[list]:
    """Week by week: the program, each department and each group (materialised figures)."""
    yield [_("Breakdown"), _("Name"), _("Week"), _("Enrolled"), _("Active participants"),
           _("Rate (%)")]  # fmt: skip
    labels = {
        WeekFigure.Dimension.PROGRAM: _("Program"),
        WeekFigure.Dimension.DEPARTMENT: _("Department"),
        WeekFigure.Dimension.GROUP: _("Group"),
    }
    order = {"program": 0, "department": 1, "group": 2}
    rows = []
    for f in WeekFigure.objects.filter(program=program).select_related("group"):
        if f.dimension == WeekFigure.Dimension.GROUP:
            name = f.group.name if f.group else _("Without a group")
        elif f.dimension == WeekFigure.Dimension.DEPARTMENT:
            name = f.department or _("No department")
        else:
            name = program.title
        rate = round(100 * f.active / f.enrolled, 1) if f.enrolled else 0.0
        key = (order[f.dimension], natural_key(name), f.week)
        rows.append((key, [labels[f.dimension], name, f.week, f.enrolled, f.active, rate]))
    for _key, row in sorted(rows, key=lambda r: r[0]):
        yield row


def participants_rows(*, program: Program, kinds: list[str], weeks: int) -> Iterator[list]:
    """One row per participant: who, where, how much they did, and each week active or not."""
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
    member = Q(enrollment__user__memberships__organization_id=program.organization_id)
    rows = (
        Engagement.objects.filter(program=program)
        .annotate(member=FilteredRelation("enrollment__user__memberships", condition=member))
        .values_list(
            "enrollment__user__name",
            "enrollment__user__email",
            "enrollment__group__name",
            "member__department",
            "enrollment__enrolled_at",
            "enrollment__is_active",
            "left_at",
            "done",
            "last_done_at",
            *[f"{kind}_weeks" for kind in kinds],
        )
        .order_by("enrollment__user__name", "enrollment__user__email")
    )
    openings = [program.opens_at(w) for w in range(1, weeks + 2)]
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
    ) in rows.iterator(2000):
        mask = 0
        for m in masks:
            mask |= m
        flags = []
        for week in range(1, weeks + 1):
            end = openings[week]
            taking_part = enrolled_at < end and (left_at is None or left_at >= end)
            flags.append((1 if mask & week_bit(week) else 0) if taking_part else "")
        at_risk = active and (
            (last is not None and last < quiet_since)
            or (last is None and enrolled_at < quiet_since)
        )
        yield [
            name,
            email,
            group or "",
            department or "",
            timezone.localtime(enrolled_at).date(),
            _("Active") if active else _("Deactivated"),
            done,
            sum(1 for f in flags if f == 1),
            timezone.localtime(last).replace(microsecond=0) if last else "",
            _("Yes") if at_risk else _("No"),
            *flags,
        ]


def cells(*, program: Program, table: str) -> int:
    """How many cells an export of `table` would have: a count or two."""
    if table == "figures":
        return WeekFigure.objects.filter(program=program).count() * FIGURE_COLUMNS
    weeks = WeekFigure.objects.filter(program=program, dimension="program").count()
    return Engagement.objects.filter(program=program).count() * (PARTICIPANT_COLUMNS + weeks)
