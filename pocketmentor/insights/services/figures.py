"""The weekly figures the dashboard reads, materialised from the rollups, and their rebuild.

`figures_current` is what pages call; `rollups_rebuild` recomputes every rollup of a program
from its learning records (after its start moved, or on the `insights rebuild` command). A
rebuild reads every record of the program, so it runs only in the worker and the command, one
process at a time (a lock per program); a page never starts one.
"""

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from pocketmentor.insights import records, rollups
from pocketmentor.insights.models import (
    KINDS,
    MAX_WEEKS,
    AnswerCount,
    Engagement,
    LearningRecord,
    ProgramInsight,
    UnitFunnel,
    UnitProgress,
    WeekFigure,
    WeekTally,
)
from pocketmentor.learning.models import Enrollment
from pocketmentor.lib.locks import lock_try
from pocketmentor.programs.models import Activity, Program, Unit

# How long the materialised weekly figures serve before a page view refreshes them.
REFRESH_SECONDS = 60


def program_weeks(program: Program) -> int:
    """How many weeks the program has: its highest published unit (at most 63)."""
    numbers = Unit.objects.published().filter(program=program).values_list("number", flat=True)
    return min(max(numbers, default=0), MAX_WEEKS)


def _schedule(program: Program) -> str:
    return f"{program.start_date}/{program.release_time}/{program.time_zone}"


def schedule_moved(state: ProgramInsight | None, program: Program) -> bool:
    """The program's start moved since its rollups were made: they wait for a rebuild."""
    return state is not None and bool(state.schedule) and state.schedule != _schedule(program)


def figures_current(
    *, program: Program, now: dt.datetime | None = None, rebuild: bool = False
) -> ProgramInsight:
    """The program's figure state; materialises the weekly figures first when they are stale.

    When the start moved, every record belongs to another week: with `rebuild` (the worker)
    the rollups are rebuilt first; without (pages), the figures stay as they were until then.
    """
    now = now or timezone.now()
    state = ProgramInsight.objects.filter(program=program).first()
    if state is not None and schedule_moved(state, program):
        if rebuild and rollups_rebuild(program=program) is not None:
            return ProgramInsight.objects.get(program=program)
        return state
    if (
        state is not None
        and state.refreshed_at is not None
        and now - state.refreshed_at < dt.timedelta(seconds=REFRESH_SECONDS)
        and program.week_at(state.refreshed_at) == program.week_at(now)
    ):
        return state  # fresh
    return figures_refresh(program=program, now=now)


def figures_refresh(
    *, program: Program, now: dt.datetime | None = None, full: bool = False
) -> ProgramInsight:
    """Materialise the weekly figures: the weeks still open to change, or all with `full`.

    One read of the program's roster (enrollment, group, department, engagement) serves
    every week: it also notes who was deactivated or came back, and gives new enrollments
    their engagement row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ProgramInsight.objects.get_or_create(program=program)
        state = ProgramInsight.objects.select_for_update().get(program=program)
        last = program_weeks(program)
        current = min(program.week_at(now), last)
        first = 1 if full else min(state.final_week + 1, current + 1)
        weeks = range(first, current + 1)
        roster = _roster(program, state.kinds, now)
        stale = WeekFigure.objects.filter(program=program)
        stale.filter(Q(week__in=weeks) | Q(week__gt=last)).delete()
        WeekFigure.objects.bulk_create(_week_figures(program, roster, weeks), batch_size=5000)
        ended = [w for w in weeks if program.opens_at(w + 1) <= now]
        state.final_week = max(ended) if ended else (0 if full else state.final_week)
        state.final_week = min(state.final_week, last)
        state.refreshed_at = now
        # Only a rebuild moves the rollups to a new schedule (below); the first refresh notes it.
        state.schedule = state.schedule or _schedule(program)
        state.save()
    return state


class _Member(NamedTuple):
    group_id: int | None
    department: str
    first_week: int  # the week of enrollment (0: before the start)
    left_week: int  # the week they left in; MAX_WEEKS + 1 while they take part
    weeks: int  # a bit for each week with a completion of a counted kind


def _roster(program: Program, kinds: list[str], now: dt.datetime) -> list[_Member]:
    """Every enrollment of the program as the figures need it; syncs the engagement rows.

    Deactivation is noticed here: an inactive enrollment without `left_at` left `now`, an
    active one with `left_at` came back. Enrollments made in bulk get their row here.
    """
    member = Q(user__memberships__organization_id=program.organization_id)
    rows = (
        Enrollment.objects.filter(program=program)
        .annotate(member=FilteredRelation("user__memberships", condition=member))
        .values_list(
            "pk",
            "is_active",
            "group_id",
            "member__department",
            "enrolled_at",
            "engagement__enrollment_id",
            "engagement__left_at",
            *[f"engagement__{kind}_weeks" for kind in kinds],
        )
        .order_by()
    )
    weeks = rollups.Weeks(program)
    missing, leaving, returning, roster = [], [], [], []
    for pk, active, group_id, department, enrolled_at, engaged, left_at, *masks in list(rows):
        if engaged is None:
            missing.append(pk)
        if not active and left_at is None:
            leaving.append(pk)
            left_at = now
        elif active and left_at is not None:
            returning.append(pk)
            left_at = None
        mask = 0
        for bits in masks:
            mask |= bits or 0
        left_week = weeks.of(left_at) if left_at else MAX_WEEKS + 1
        roster.append(_Member(group_id, department or "", weeks.of(enrolled_at), left_week, mask))
    Engagement.objects.bulk_create(
        (Engagement(enrollment_id=pk, program=program) for pk in missing),
        batch_size=5000,
        ignore_conflicts=True,
    )
    if leaving:
        Engagement.objects.filter(pk__in=leaving).update(left_at=now)
    if returning:
        Engagement.objects.filter(pk__in=returning).update(left_at=None)
    return roster


def _week_figures(program: Program, roster: list[_Member], weeks: range) -> list[WeekFigure]:
    """Enrolled and active per week: in all, per group and per department.

    Enrolled in week W: enrolled before W ended (first_week <= W) and not left by then
    (W < left_week). Active: also completed a counted kind of activity in W. Enrolled counts
    go in as differences (+1 from the first week, -1 after the last) and add up at the end;
    active ones only at the weeks whose bit is set.
    """
    if not weeks:
        return []
    low, high = weeks.start, weeks.stop - 1
    size = high + 2

    def counts() -> list[list[int]]:
        return [[0] * size, [0] * size]  # enrolled (as differences), active

    total = counts()
    by_group: defaultdict[int | None, list[list[int]]] = defaultdict(counts)
    by_department: defaultdict[str, list[list[int]]] = defaultdict(counts)
    for person in roster:
        first, last = max(low, person.first_week, 1), min(high, person.left_week - 1)
        if first > last:
            continue
        rows = (total, by_group[person.group_id], by_department[person.department])
        for enrolled, _active in rows:
            enrolled[first] += 1
            enrolled[last + 1] -= 1
        active = (person.weeks >> (first - 1)) & ((1 << (last - first + 1)) - 1)
        while active:
            week = first + (active & -active).bit_length() - 1
            for _enrolled, actives in rows:
                actives[week] += 1
            active &= active - 1

    def figures(key: dict, values) -> list[WeekFigure]:
        enrolled, active = values
        found, running = [], 0
        for week in range(low, high + 1):
            running += enrolled[week] if week > low else sum(enrolled[: low + 1])
            if running or key["dimension"] == WeekFigure.Dimension.PROGRAM:
                found.append(
                    WeekFigure(program=program, week=week, enrolled=running, active=active[week],
                               **key)
                )  # fmt: skip
        return found

    Dimension = WeekFigure.Dimension
    result = figures({"dimension": Dimension.PROGRAM}, total)
    for group_id, values in by_group.items():
        result += figures({"dimension": Dimension.GROUP, "group_id": group_id}, values)
    for department, values in by_department.items():
        result += figures({"dimension": Dimension.DEPARTMENT, "department": department}, values)
    return result


@transaction.atomic
def counted_kinds_set(*, program: Program, kinds: list[str]) -> ProgramInsight:
    """Choose which kinds of activity make a participant active; every week is recounted."""
    state, _ = ProgramInsight.objects.get_or_create(program=program)
    state.counted_kinds = ",".join(kinds)
    state.save(update_fields=["counted_kinds"])
    return figures_refresh(program=program, full=True)


# Rebuilding from the records ------------------------------------------------------------------


def rollups_rebuild(*, program: Program) -> int | None:
    """Recompute every rollup of the program from its records; how many records were read,
    or None when another process is rebuilding it right now (nothing done here)."""
    with lock_try(f"insights-rebuild-{program.pk}") as held:
        return _rebuild(program) if held else None


def _rebuild(program: Program) -> int:
    weeks = rollups.Weeks(program)
    kinds = dict(Activity.objects.filter(unit__program=program).values_list("pk", "kind"))
    fold = rollups.Fold()
    rows = (
        LearningRecord.objects.filter(program=program)
        .values_list(
            "enrollment_id",
            "verb",
            "unit_id",
            "activity_id",
            "object",
            "timestamp",
            "statement__result__response",
        )
        .order_by()
    )
    count = 0
    for enrollment_id, verb, unit_id, activity_id, object_, moment, response in rows.iterator(5000):
        kind = kinds.get(activity_id, "") if activity_id else records.kind_of(object_)
        found = rollups.effects(
            verb=verb,
            kind=kind,
            unit_id=unit_id,
            activity_id=activity_id,
            week=weeks.of(moment),
            moment=moment,
            response="" if response is None else str(response),
        )
        fold.add(found, enrollment_id)
        count += 1
    with transaction.atomic():
        _write_fold(program, fold)
        ProgramInsight.objects.filter(program=program).update(schedule=_schedule(program))
    figures_refresh(program=program, full=True)
    return count


def _write_fold(program: Program, fold: rollups.Fold) -> None:
    enrollments = set(Enrollment.objects.filter(program=program).values_list("pk", flat=True))
    units = set(Unit.objects.filter(program=program).values_list("pk", flat=True))
    existing = {e.pk: e for e in Engagement.objects.filter(program=program)}
    changed: list[Engagement] = []
    new: list[Engagement] = []
    for pk in enrollments:
        person = fold.people.get(pk) or rollups.Person()
        row = existing.get(pk) or Engagement(enrollment_id=pk, program=program)
        for kind in KINDS:
            setattr(row, f"{kind}_weeks", person.weeks[kind])
        row.done, row.last_done_at = person.done, person.last
        (changed if pk in existing else new).append(row)
    fields = [f"{kind}_weeks" for kind in KINDS] + ["done", "last_done_at"]
    Engagement.objects.bulk_update(changed, fields, batch_size=2000)
    Engagement.objects.bulk_create(new, batch_size=2000)
    UnitProgress.objects.filter(unit__program=program).delete()
    UnitProgress.objects.bulk_create(
        (
            UnitProgress(enrollment_id=e, unit_id=u, steps=bits)
            for (e, u), bits in fold.steps.items()
            if e in enrollments and u in units
        ),
        batch_size=5000,
    )
    UnitFunnel.objects.filter(unit__program=program).delete()
    UnitFunnel.objects.bulk_create(
        UnitFunnel(unit_id=u, **counts) for u, counts in fold.funnels().items() if u in units
    )
    activities = set(Activity.objects.filter(unit__program=program).values_list("pk", flat=True))
    AnswerCount.objects.filter(activity__unit__program=program).delete()
    AnswerCount.objects.bulk_create(
        AnswerCount(activity_id=a, choice=c, count=n)
        for (a, c), n in fold.answers.items()
        if a in activities
    )
    WeekTally.objects.filter(program=program).delete()
    WeekTally.objects.bulk_create(
        WeekTally(program=program, week=w, what=what, count=n)
        for (w, what), n in fold.tallies.items()
    )
