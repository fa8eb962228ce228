"""The respectful rules: which rules apply to a program, and when a message may arrive.

All comparisons happen in UTC: aware datetimes that share a tzinfo compare by wall clock in
Python, which is wrong for the hour a DST change repeats.
"""

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from pocketmentor.nudges.models import NudgeRules, Preference
from pocketmentor.programs.models import Program

UTC = dt.UTC
DAY = dt.timedelta(days=1)


def rules_for(program: Program) -> NudgeRules:
    return rules_map([program])[program.pk]


def rules_map(programs: Iterable[Program]) -> dict[int, NudgeRules]:
    """Each program's rules: its own, else its organization's, else the defaults."""
    programs = list(programs)
    rows = NudgeRules.objects.filter(organization__in={p.organization_id for p in programs})
    own, default = {}, {}
    for row in rows:
        if row.program_id is None:
            default[row.organization_id] = row
        else:
            own[row.program_id] = row
    return {
        p.pk: own.get(p.pk)
        or default.get(p.organization_id)
        or NudgeRules(organization_id=p.organization_id)
        for p in programs
    }


def zone_of(preference: Preference | None, program: Program) -> ZoneInfo:
    if preference is not None and preference.time_zone:
        return ZoneInfo(preference.time_zone)
    return program.zone


def at(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """A local wall-clock moment as UTC (the earlier one when a DST change repeats it)."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)


def _window(day: dt.date, rules: NudgeRules, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = at(day, rules.day_starts, zone)
    ends_at_midnight = rules.day_ends == dt.time(0, 0)
    end = at(day + DAY, dt.time(0, 0), zone) if ends_at_midnight else at(day, rules.day_ends, zone)
    return start, end


def next_allowed(moment: dt.datetime, rules: NudgeRules, zone: ZoneInfo) -> dt.datetime:
    """`moment` if a message may arrive then, else the start of the next allowed window."""
    moment = moment.astimezone(UTC)
    today = moment.astimezone(zone).date()
    for offset in range(8):
        day = today + offset * DAY
        if str(day.isoweekday()) not in rules.working_days:
            continue
        start, end = _window(day, rules, zone)
        if moment < start:
            return start
        if moment < end:
            return moment
    return moment  # no working day at all: the form never saves such rules


def weekly_moment(
    opens_at: dt.datetime, weekday: int, time: dt.time, zone: ZoneInfo
) -> dt.datetime:
    """The first `weekday` at `time` (wall clock in `zone`) at or after a week's opening."""
    first = opens_at.astimezone(zone).date()
    for offset in range(8):
        day = first + offset * DAY
        if day.isoweekday() == weekday:
            moment = at(day, time, zone)
            if moment >= opens_at:
                return moment
    raise AssertionError("a weekday recurs within eight days")
