"""Reads of the dashboards: every figure comes from the rollups, never from the records.

Each function is a fixed, small number of queries on indexed rollup rows, whatever the
number of participants or records (see docs/insights.md and docs/performance.md).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pocketmentor.insights.models import (
    AnswerCount,
    Engagement,
    Theme,
    WeekFigure,
    WeekTally,
)
from pocketmentor.learning import selectors as learning_selectors
from pocketmentor.learning.models import Enrollment, RecallAnswer, Response
from pocketmentor.lib.contrast import contrast
from pocketmentor.lib.ordering import natural_key
from pocketmentor.programs.models import Activity, Group, Program, RecallQuestion, Seminar, Unit

AT_RISK_AFTER = dt.timedelta(days=14)
GROUPS_PER_PAGE = 50
PEOPLE_PER_PAGE = 50
Dimension = WeekFigure.Dimension


@dataclass(frozen=True)
class Point:
    """One week's figure: of `enrolled` participants, `active` completed an activity."""

    week: int
    enrolled: int = 0
    active: int = 0

    @property
    def rate(self) -> float:
        """The share active; 0 for a week nobody was enrolled in."""
        return self.active / self.enrolled if self.enrolled else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.rate)


@dataclass
class Headline:
    this: Point | None
    last: Point | None
    running: bool  # `this` is the week under way, still counting
    day: int  # which day of the week under way

    @property
    def change(self) -> int | None:
        """This week against last, in percentage points."""
        if self.this is None or self.last is None:
            return None
        return self.this.percent - self.last.percent


@dataclass
class Cell:
    point: Point
    css: str  # the cell's colours as classes: "h35" (the brand colour at 35 %), "light" ink
    text: str  # the percentage, or – for a week nobody in the row was enrolled in
    title: str  # "12 of 25"


@dataclass
class Row:
    label: str
    cells: list[Cell]


def _weeks(program: Program, dimension: str, **filters) -> list[WeekFigure]:
    return list(
        WeekFigure.objects.filter(program=program, dimension=dimension, **filters).order_by("week")
    )


def weekly(*, program: Program) -> list[Point]:
    """The weekly active engagement rate of every week so far: one query."""
    return [Point(f.week, f.enrolled, f.active) for f in _weeks(program, Dimension.PROGRAM)]


def headline(*, program: Program, points: list[Point], now: dt.datetime | None = None) -> Headline:
    now = now or timezone.now()
    this = points[-1] if points else None
    last = points[-2] if len(points) > 1 else None
    running = this is not None and program.week_at(now) == this.week
    day = (now - program.opens_at(this.week)).days + 1 if running and this else 7
    return Headline(this=this, last=last, running=running, day=min(day, 7))


def _blend(color: str, rate: float) -> str:
    """`color` at `rate` strength over white."""
    channels = (int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return "#{:02x}{:02x}{:02x}".format(*(round(255 - (255 - c) * rate) for c in channels))


HEAT_STEP = 5  # percent: a heat map's shades, one class each in insights.css


def cell(point: Point, color: str) -> Cell:
    """A heat map cell; its text and colours made here, as a page may show thousands.

    The shade is a class per HEAT_STEP of the rate (insights.css mixes the brand colour with
    white by as much), since the Content-Security-Policy allows no style attribute; the ink
    is chosen here, for the shade the class gives.
    """
    step = round(point.rate * 100 / HEAT_STEP) * HEAT_STEP if point.enrolled else 0
    background = _blend(color, step / 100)
    # White or black, whichever reads better: one of them always reaches 4.5:1.
    ink = max(("#ffffff", "#000000"), key=lambda color: contrast(background, color))
    css = f"h{step}" + (" light" if ink == "#ffffff" else "")
    title = _("%(active)s of %(enrolled)s") % {"active": point.active, "enrolled": point.enrolled}
    text = str(point.percent) if point.enrolled else "–"
    return Cell(point, css, text, title)


def _rows(figures: list[WeekFigure], key, label_of, weeks: list[int], color: str) -> dict:
    """Rows of a heat map by `key`, a cell for each of `weeks` (blank where none)."""
    by_key: dict = defaultdict(dict)
    for f in figures:
        by_key[key(f)][f.week] = Point(f.week, f.enrolled, f.active)
    return {
        k: Row(label_of(k), [cell(points.get(w, Point(w)), color) for w in weeks])
        for k, points in by_key.items()
    }


def by_department(*, program: Program, weeks: list[int], color: str) -> list[Row]:
    """Weeks by department (from the participants' memberships): one query."""
    figures = _weeks(program, Dimension.DEPARTMENT)
    rows = _rows(figures, lambda f: f.department, lambda d: d or _("No department"), weeks, color)
    return [rows[d] for d in sorted(rows, key=lambda d: (d == "", d.casefold()))]


def by_group(*, program: Program, weeks: list[int], color: str, page: str | int = 1) -> Page:
    """A page of groups in natural order, each with its weeks: three queries."""
    groups: list[tuple[int | None, str]] = sorted(
        Group.objects.filter(program=program).values_list("pk", "name"),
        key=lambda g: natural_key(g[1]),
    )
    figures = WeekFigure.objects.filter(program=program, dimension=Dimension.GROUP)
    if figures.filter(group__isnull=True).exists():
        groups.append((None, _("Without a group")))
    paginator = Paginator(groups, GROUPS_PER_PAGE)
    current = paginator.get_page(page)
    ids = [pk for pk, _ in current.object_list if pk is not None]
    names = dict(current.object_list)
    wanted = Q(group_id__in=ids)
    if None in names:
        wanted |= Q(group__isnull=True)
    found = list(figures.filter(wanted).order_by("week"))
    rows = _rows(found, lambda f: f.group_id, names.get, weeks, color)
    current.object_list = [rows[pk] for pk, _ in current.object_list if pk in rows]
    return current


@dataclass
class Step:
    label: str
    count: int
    percent: int


@dataclass
class Funnel:
    unit: Unit
    steps: list[Step]


def funnels(*, program: Program, weeks: list[Point]) -> list[Funnel]:
    """Per unit so far: how many opened it, read its cards, did a task, reflected. One query."""
    base = max((p.enrolled for p in weeks[-1:]), default=0)
    units = (
        Unit.objects.published()
        .filter(program=program, number__lte=len(weeks))
        .select_related("funnel")
        .order_by("number")
    )
    labels = [
        ("opened", _("Opened")),
        ("read", _("Read the cards")),
        ("tasked", _("Did the task")),
        ("reflected", _("Reflected")),
    ]
    result = []
    for unit in units:
        counts = getattr(unit, "funnel", None)
        steps = []
        for name, label in labels:
            count = getattr(counts, name, 0) if counts else 0
            percent = min(100, round(100 * count / base)) if base else 0
            steps.append(Step(label, count, percent))
        result.append(Funnel(unit, steps))
    return result


@dataclass
class Answer:
    label: str
    count: int
    percent: int


@dataclass
class PollResult:
    activity: Activity
    answers: list[Answer]
    total: int
    mean: float | None = None

    @property
    def min_answers(self) -> int:
        return settings.POLL_MIN_ANSWERS


def polls(*, program: Program, weeks: int) -> list[PollResult]:
    """Polls and self-assessments of the weeks so far, in order, with how people answered."""
    activities = list(
        Activity.objects.live()
        .filter(
            unit__program=program,
            unit__published_at__isnull=False,
            unit__number__lte=weeks,
            kind=Activity.Kind.POLL,
        )
        .select_related("unit")
        .prefetch_related("options")
        .order_by("unit__number", "position")
    )
    counts: dict = defaultdict(dict)
    for activity_id, choice, count in AnswerCount.objects.filter(
        activity__in=activities
    ).values_list("activity_id", "choice", "count"):
        counts[activity_id][choice] = count
    results = []
    for activity in activities:
        mine = counts[activity.pk]
        if activity.is_scale:
            rows = [(str(v), mine.get(v, 0)) for v in activity.scale]
        else:
            rows = [(o.text, mine.get(o.pk, 0)) for o in activity.options.all()]
        total = sum(n for _, n in rows)
        if total < settings.POLL_MIN_ANSWERS:  # too few to show without revealing answers
            results.append(PollResult(activity, [], total))
            continue
        answers = [Answer(label, n, round(100 * n / total)) for label, n in rows]
        mean = None
        if activity.is_scale:
            mean = sum(v * mine.get(v, 0) for v in activity.scale) / total
        results.append(PollResult(activity, answers, total, mean))
    return results


@dataclass
class TallyRow:
    week: int
    counts: dict[str, int] = field(default_factory=dict)


def tallies(*, program: Program, weeks: list[int]) -> list[TallyRow]:
    """Sign-ins, shared reflections, feedback and reactions per week: one query."""
    rows = {w: TallyRow(w) for w in weeks}
    for week, what, count in WeekTally.objects.filter(program=program, week__in=weeks).values_list(
        "week", "what", "count"
    ):
        rows[week].counts[what] = count
    return list(rows.values())


AT_RISK_BULK = 1000  # people reminded at once, at most


def _at_risk(program: Program, now: dt.datetime):
    cutoff = now - AT_RISK_AFTER
    return Engagement.objects.filter(program=program, enrollment__is_active=True).filter(
        Q(last_done_at__lt=cutoff)
        | Q(last_done_at__isnull=True, enrollment__enrolled_at__lt=cutoff)
    )


def at_risk(*, program: Program, page: str | int = 1, now: dt.datetime | None = None) -> Page:
    """Participants with no activity for two weeks or more, longest quiet first: two queries."""
    rows = (
        _at_risk(program, now or timezone.now())
        .select_related("enrollment__user", "enrollment__group")
        .order_by(F("last_done_at").asc(nulls_first=True), "enrollment__user__name", "pk")
    )
    return Paginator(rows, PEOPLE_PER_PAGE).get_page(page)


def at_risk_chosen(
    *, program: Program, ids: list[int] | None, now: dt.datetime | None = None
) -> list[Enrollment]:
    """The people at risk among enrollment `ids` (None: everyone at risk), longest quiet
    first, with their person and program: two queries. Anyone else asked for is left out."""
    rows = _at_risk(program, now or timezone.now())
    if ids is not None:
        rows = rows.filter(enrollment_id__in=ids[:AT_RISK_BULK])
    chosen = list(
        rows.order_by(
            F("last_done_at").asc(nulls_first=True), "enrollment__user__name", "pk"
        ).values_list("enrollment_id", flat=True)[:AT_RISK_BULK]
    )
    found = Enrollment.objects.select_related("user", "program").in_bulk(chosen)
    return [found[pk] for pk in chosen if pk in found]


@dataclass
class Brief:
    upcoming: Seminar | None
    previous: Seminar | None
    since: dt.datetime
    weeks: list[Point]
    shared: list[Response]
    totals: dict[str, int]


def brief(*, program: Program, now: dt.datetime | None = None, points: list[Point]) -> Brief:
    """Before a seminar: the figures since the last one, and what was shared with facilitators."""
    now = now or timezone.now()
    seminars = list(Seminar.objects.filter(program=program).order_by("starts_at"))
    upcoming = next((s for s in seminars if s.ends_at >= now), None)
    before = upcoming.starts_at if upcoming else now
    previous = next((s for s in reversed(seminars) if s.ends_at < before), None)
    since = previous.ends_at if previous else program.opens_at(1)
    first = max(1, program.week_at(since))
    weeks = [p for p in points if p.week >= first]
    shared = learning_selectors.shared_with_facilitators(program=program)
    shared = [r for r in shared if r.updated_at >= since]  # written, or shared, since then
    totals: dict[str, int] = defaultdict(int)
    for what, count in WeekTally.objects.filter(program=program, week__gte=first).values_list(
        "what", "count"
    ):
        totals[what] += count
    return Brief(upcoming, previous, since, weeks, shared, dict(totals))


# Retention: how many remembered a key point at its first, second and third recall -----------
#
# Read from the recalls themselves (learning.RecallAnswer, grouped): one query for the counts
# per key point, one per group, and one for the key points' text. A share is shown only from
# POLL_MIN_ANSWERS recalls, the rule that keeps the polls' answers from being inferred.

RECALLS = (1, 2, 3)  # the recalls the dashboard shows, by number


@dataclass
class RetentionCell:
    recalled: int = 0
    remembered: int = 0

    @property
    def shown(self) -> bool:
        return self.recalled >= settings.POLL_MIN_ANSWERS

    @property
    def percent(self) -> int:
        return round(100 * self.remembered / self.recalled) if self.recalled else 0

    @property
    def forgotten(self) -> int:
        return self.recalled - self.remembered


@dataclass
class RetentionRow:
    label: str
    week: int | None
    cells: list[RetentionCell]
    total: RetentionCell

    @property
    def forgotten_percent(self) -> int:
        return 100 - self.total.percent if self.total.recalled else 0


@dataclass
class Retention:
    points: list[RetentionRow]
    groups: list[RetentionRow]

    @property
    def min_answers(self) -> int:
        return settings.POLL_MIN_ANSWERS


def _retention_rows(counts: dict, keys: list, label_of, week_of) -> list[RetentionRow]:
    rows = []
    for key in keys:
        cells = [RetentionCell(*counts.get((key, n), (0, 0))) for n in RECALLS]
        total = RetentionCell(sum(c.recalled for c in cells), sum(c.remembered for c in cells))
        rows.append(RetentionRow(label_of(key), week_of(key), cells, total))
    return rows


def _recall_counts(
    program: Program, group_by: str, since: dt.datetime | None = None, *, names: bool = False
):
    """Recalls and those remembered per (`group_by`, recall number); with `names`, rows of
    ((group id, group name), recall number, recalled, remembered) instead."""
    answers = RecallAnswer.objects.filter(question__unit__program=program, repetition__in=RECALLS)
    if since is not None:
        answers = answers.filter(created_at__gte=since)
    fields = [group_by, "enrollment__group__name"] if names else [group_by]
    rows = (
        answers.values_list(*fields, "repetition")
        .annotate(n=Count("id"), remembered=Count("id", filter=Q(remembered=True)))
        .order_by()
    )
    if names:
        return [((key, name), repetition, n, kept) for key, name, repetition, n, kept in rows]
    return {(key, repetition): (n, kept) for key, repetition, n, kept in rows}


def _points(program: Program) -> list[RecallQuestion]:
    return list(
        RecallQuestion.objects.filter(unit__program=program)
        .select_related("unit", "activity")
        .order_by("unit__number", "position", "pk")
    )


def retention(*, program: Program) -> Retention:
    """Share remembered per key point and per group at the first, second and third recall:
    one query without key points, three with them."""
    points = _points(program)
    if not points:
        return Retention([], [])
    by_point = _recall_counts(program, "question_id")
    by_group: dict = {}
    names: dict = {}
    for (group_id, name), repetition, n, kept in _recall_counts(
        program, "enrollment__group_id", names=True
    ):
        by_group[group_id, repetition] = (n, kept)
        names[group_id] = name if group_id is not None else _("No group")
    keys = sorted(names, key=lambda pk: (pk is None, natural_key(names[pk])))
    questions = {q.pk: q for q in points}
    return Retention(
        points=_retention_rows(
            by_point,
            [q.pk for q in points],
            lambda pk: questions[pk].question_text,
            lambda pk: questions[pk].unit.number,
        ),
        groups=_retention_rows(by_group, keys, names.__getitem__, lambda pk: None),
    )


def most_forgotten(
    *, program: Program, since: dt.datetime | None = None, limit: int = 5
) -> list[RetentionRow]:
    """The key points forgotten most often (recalls since `since`), from enough recalls only."""
    points = _points(program)
    if not points:
        return []
    questions = {q.pk: q for q in points}
    rows = _retention_rows(
        _recall_counts(program, "question_id", since),
        [q.pk for q in points],
        lambda pk: questions[pk].question_text,
        lambda pk: questions[pk].unit.number,
    )
    rows = [r for r in rows if r.total.shown and r.total.forgotten]
    rows.sort(key=lambda r: (-r.forgotten_percent, -r.total.recalled, r.week or 0))
    return rows[:limit]


# Reflection themes (insights/themes.py, computed by the worker in services/themes.py)

OTHERS_SHOWN = 5  # people up from whom a theme says how many others wrote about it


@dataclass
class ThemeView:
    words: list[str]
    people: int
    others: int | None  # None below OTHERS_SHOWN
    quotes: list[Response]


def themes(
    *, program: Program, group_id: int | None = None, since_week: int = 1, week: int | None = None
) -> tuple[int | None, list[ThemeView]]:
    """The newest program week's themes (from `since_week` on, or of `week` alone) for the
    whole program or one group, with up to three quotes each that the facilitators may still
    read: one query, two with themes. Returns (week or None, [ThemeView])."""
    weeks = Q(week=week) if week is not None else Q(week__gte=since_week)
    rows = list(
        Theme.objects.filter(
            Q(group_id=group_id) if group_id else Q(group__isnull=True), weeks, program=program
        ).order_by("-week", "position")
    )
    if not rows:
        return None, []
    week = rows[0].week
    rows = [r for r in rows if r.week == week]
    ids = {i for r in rows for i in r.quotes}
    readable = {
        r.pk: r
        for r in Response.objects.filter(
            learning_selectors.FOR_FACILITATORS,
            pk__in=ids,
            enrollment__program=program,
            enrollment__is_active=True,
        ).select_related("enrollment__user")
    }
    return week, [
        ThemeView(
            words=r.words,
            people=r.people,
            others=r.others if r.others >= OTHERS_SHOWN else None,
            quotes=[readable[i] for i in r.quotes if i in readable],
        )
        for r in rows
    ]
