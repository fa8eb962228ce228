"""Reads of the participant app, each a fixed number of queries whatever the data size."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from pocketmentor.learning.models import Enrollment, Feedback, Response
from pocketmentor.orgs.models import Seminar
from pocketmentor.programs.models import Activity, Program, Unit


def _feedback() -> Prefetch:
    """Feedback on a participant's own writing, with who wrote it."""
    return Prefetch("feedback", Feedback.objects.select_related("author"))


def enrollment_for(*, user, org_slug: str, program_slug: str) -> Enrollment:
    """The person's active enrollment in a running program, or 404 for anyone else."""
    try:
        return Enrollment.objects.select_related("program__organization", "group").get(
            user=user,
            is_active=True,
            program__slug=program_slug,
            program__organization__slug=org_slug,
            program__state__in=[Program.State.LIVE, Program.State.FINISHED],
        )
    except Enrollment.DoesNotExist:
        raise Http404 from None


def enrollments_of(*, user) -> list[Enrollment]:
    return list(
        Enrollment.objects.select_related("program__organization")
        .filter(user=user, is_active=True)
        .exclude(program__state=Program.State.DRAFT)
        .order_by("-program__start_date")
    )


def open_unit(*, enrollment: Enrollment, number: int | None = None) -> Unit | None:
    """Unit `number`, or the latest open one, with its content; None when not open yet."""
    program = enrollment.program
    week = program.week_at(timezone.now())
    units = (
        Unit.objects.published()
        .filter(program=program, number__lte=week)
        .prefetch_related(
            "cards", Prefetch("activities", Activity.objects.live().prefetch_related("options"))
        )
    )
    units = units.filter(number=number) if number else units.order_by("-number")
    unit = units.first()
    if unit is not None:
        unit.program = program
    return unit


def unit_exists(*, program: Program, number: int) -> bool:
    return Unit.objects.published().filter(program=program, number=number).exists()


class Share(NamedTuple):
    label: str
    count: int
    percent: int
    mine: bool


@dataclass
class ActivityState:
    activity: Activity
    response: Response | None = None
    chosen: set[int] = field(default_factory=set)
    distribution: list["Share"] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.response is not None

    @property
    def answered_right(self) -> bool:
        right = {o.id for o in self.activity.options.all() if o.is_correct}
        return self.chosen == right


def activity_states(*, enrollment: Enrollment, unit: Unit) -> list[ActivityState]:
    """Each activity of the unit with this participant's response and, for polls, the group's."""
    activities = list(unit.activities.all())
    responses = {
        r.activity_id: r
        for r in Response.objects.filter(enrollment=enrollment, activity__in=activities)
        .annotate(reaction_count=Count("reactions"))
        .prefetch_related(
            "choices", Prefetch("feedback", Feedback.objects.select_related("author"))
        )
    }
    states = []
    for activity in activities:
        response = responses.get(activity.id)
        chosen = {o.id for o in response.choices.all()} if response else set()
        states.append(ActivityState(activity, response, chosen))
    _add_distributions([s for s in states if s.done and s.activity.kind == Activity.Kind.POLL])
    return states


def _add_distributions(states: list[ActivityState]) -> None:
    """Attach the anonymous distribution of answers to each answered poll: two queries at most."""
    scales = [s for s in states if s.activity.is_scale]
    choices = [s for s in states if not s.activity.is_scale]
    counts: Counter[tuple[int, int]] = Counter()
    if scales:
        rows = (
            Response.objects.filter(activity__in=[s.activity for s in scales])
            .values_list("activity_id", "value")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update({(a, v): n for a, v, n in rows})
    if choices:
        rows = (
            Response.choices.through.objects.filter(
                option__activity__in=[s.activity for s in choices]
            )
            .values_list("option__activity_id", "option_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update({(a, o): n for a, o, n in rows})
    for state in states:
        activity = state.activity
        if activity.is_scale:
            mine = state.response.value
            rows = [(str(v), counts[activity.id, v], v == mine) for v in activity.scale]
        else:
            rows = [
                (o.text, counts[activity.id, o.id], o.id in state.chosen)
                for o in activity.options.all()
            ]
        total = sum(n for _, n, _ in rows) or 1
        state.distribution = [Share(lbl, n, round(100 * n / total), m) for lbl, n, m in rows]


def next_seminar(*, program: Program) -> Seminar | None:
    return Seminar.objects.filter(program=program, ends_at__gte=timezone.now()).first()


@dataclass
class WeekProgress:
    unit: Unit
    opens_at: dt.datetime
    is_open: bool
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass
class Progress:
    weeks: list[WeekProgress]
    activities_done: int
    activities_open: int
    streak: int

    @property
    def units_done(self) -> int:
        return sum(1 for w in self.weeks if w.complete)


def progress_of(*, enrollment: Enrollment) -> Progress:
    """Units and activities done, the weekly streak and the timeline: two queries."""
    program = enrollment.program
    now = timezone.now()
    current = program.week_at(now)
    live = Q(activities__removed_at__isnull=True)
    units = list(
        Unit.objects.published()
        .filter(program=program)
        .annotate(total=Count("activities", filter=live))
        .order_by("number")
    )
    done_rows = list(
        Response.objects.filter(
            enrollment=enrollment,
            activity__removed_at__isnull=True,
            activity__unit__published_at__isnull=False,
        ).values_list("activity__unit_id", "created_at")
    )
    done_by_unit = Counter(unit_id for unit_id, _ in done_rows)
    active_weeks = {program.week_at(created_at) for _, created_at in done_rows}
    streak, week = 0, current if current in active_weeks else current - 1
    while week >= 1 and week in active_weeks:
        streak, week = streak + 1, week - 1
    weeks = [
        WeekProgress(
            unit=u,
            opens_at=program.opens_at(u.number),
            is_open=u.number <= current,
            done=done_by_unit[u.id],
            total=u.total,
        )
        for u in units
    ]
    return Progress(
        weeks=weeks,
        activities_done=len(done_rows),
        activities_open=sum(w.total for w in weeks if w.is_open),
        streak=streak,
    )


def reflections_of(*, enrollment: Enrollment) -> list[Response]:
    """Everything the participant wrote, newest first."""
    return list(
        Response.objects.filter(
            enrollment=enrollment,
            activity__kind__in=[Activity.Kind.REFLECTION, Activity.Kind.TASK],
        )
        .exclude(text="")
        .select_related("activity__unit")
        .annotate(reaction_count=Count("reactions"))
        .prefetch_related(_feedback())
        .order_by("-created_at")
    )
