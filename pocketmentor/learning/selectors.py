"""Reads of the participant app, each a fixed number of queries whatever the data size."""

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils import timezone

from pocketmentor.learning import shared
from pocketmentor.learning.models import (
    Enrollment,
    Feedback,
    Reaction,
    RecallCard,
    Response,
    Supporter,
)
from pocketmentor.lib import sql
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.orgs.permissions import AUTHORS
from pocketmentor.programs.models import (
    Activity,
    Group,
    Option,
    Program,
    RecallQuestion,
    Seminar,
    Unit,
)


def _feedback() -> Prefetch:
    """Feedback on a participant's own writing, with who wrote it."""
    return Prefetch("feedback", Feedback.objects.select_related("author"))


def enrollment_for(*, user, org_slug: str, program_slug: str) -> Enrollment:
    """The person's active enrollment in a running program, or 404 for anyone else."""
    found = page_versions(user=user, org_slug=org_slug, program_slug=program_slug)
    if found is None:
        raise Http404
    return enrollment_of(found)


class PageVersions(NamedTuple):
    enrollment_id: int
    version: str  # changes with everything the participant's pages show but the time
    language: str  # the organization's, for people who chose none
    row: tuple  # the enrollment, its program, organization and group, as read


# The models of `page_versions`' row, one after the other, with the alias of each one's table
_ROW = ((Enrollment, "e"), (Program, "p"), (Organization, "o"), (Group, "g"))


def page_versions(*, user, org_slug: str, program_slug: str) -> PageVersions | None:
    """What `enrollment_for` finds, with what keys the participant's kept pages: one query.

    Written out in SQL: the ORM takes 25 times as long to build this query as the database
    to run it, and it runs on every view of a kept page (learning/pages.py). The row holds
    the enrollment with its program, organization and group, made into models only when a
    page is rendered (`enrollment_of`).
    """
    states = [Program.State.LIVE, Program.State.FINISHED]
    with connection.cursor() as cursor:
        cursor.execute(
            _page_versions_sql(connection.vendor), [user.pk, True, program_slug, org_slug, *states]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    at = _layout()
    mine, theirs = row[at["e.pages_version"]], row[at["o.pages_version"]]
    return PageVersions(row[at["e.id"]], f"{mine}.{theirs}", row[at["o.language"]], row)


@functools.cache
def _page_versions_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"{alias}.{quote(f.column)}" for model, alias in _ROW for f in model._meta.concrete_fields
    )
    tables = {
        "enrollment": Enrollment._meta.db_table,
        "program": Program._meta.db_table,
        "organization": Organization._meta.db_table,
        "group": Group._meta.db_table,
    }
    statement = f"""
        SELECT {columns}
        FROM {tables["enrollment"]} e
        JOIN {tables["program"]} p ON p.id = e.program_id
        JOIN {tables["organization"]} o ON o.id = p.organization_id
        LEFT JOIN {tables["group"]} g ON g.id = e.group_id
        WHERE e.user_id = %s AND e.is_active = %s AND p.slug = %s AND o.slug = %s
          AND p.state IN (%s, %s)
    """  # noqa: S608 - table and column names from the models, values as parameters
    return statement


@functools.cache
def _layout() -> dict[str, int]:
    """Where each column of `page_versions`' row is, by alias and field name."""
    names = [f"{a}.{f.attname}" for model, a in _ROW for f in model._meta.concrete_fields]
    return {name: i for i, name in enumerate(names)}


def enrollment_of(found: PageVersions) -> Enrollment:
    """The enrollment `page_versions` found, with its program, organization and group."""
    made: list[Any] = []
    at = 0
    for model, _ in _ROW:
        width = len(model._meta.concrete_fields)
        values = found.row[at : at + width]
        at += width
        made.append(None if values[0] is None else sql.model_from_row(model, values))
    enrollment, program, organization, group = made
    program.organization = organization
    enrollment.program = program
    enrollment.group = group
    return enrollment


def enrollments_of(*, user) -> list[Enrollment]:
    return list(
        Enrollment.objects.select_related("program__organization")
        .filter(user=user, is_active=True)
        .exclude(program__state=Program.State.DRAFT)
        .order_by("-program__start_date")
    )


UNIT_CACHE_SECONDS = 60


def open_unit(*, enrollment: Enrollment, number: int | None = None) -> Unit | None:
    """Unit `number`, or the latest open one, with its content; None when not open yet.

    The same for every participant of the program: read once and shared (in the cache of
    kept pages, so in Redis when it is set) under the organization's `pages_version`, which
    any change of its content raises (learning/pages.py), and for a minute at most.
    """
    program = enrollment.program
    week = program.week_at(timezone.now())
    version = program.organization.pages_version
    key = f"open-unit:{program.pk}:{version}:{week}:{number or 0}"
    unit = shared.get(key)
    if unit is None:
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
            shared.set(key, unit, UNIT_CACHE_SECONDS)  # before it has the program
    if unit is not None:
        unit.program = program
    return unit


def unit_preview(*, program: Program, number: int) -> Unit | None:
    """Unit `number` of the program with its content, published or not (the studio's preview)."""
    unit = (
        Unit.objects.filter(program=program, number=number)
        .prefetch_related(
            "cards", Prefetch("activities", Activity.objects.live().prefetch_related("options"))
        )
        .first()
    )
    if unit is not None:
        unit.program = program
    return unit


def unit_exists(*, program: Program, number: int) -> bool:
    return Unit.objects.published().filter(program=program, number=number).exists()


class Share(NamedTuple):
    label: str
    count: int  # type: ignore[assignment]  # the field the templates read, over tuple.count
    percent: int
    mine: bool


# Forms refuse NUL, so no page text has one (as learning/pages.py's marks).
POLL_SLOT = "\0poll:{}\0"


@dataclass
class ActivityState:
    activity: Activity
    response: Response | None = None
    chosen: set[int] = field(default_factory=set)
    distribution: list["Share"] = field(default_factory=list)
    answers: int = 0  # how many answered this poll, shown as shares only from POLL_MIN_ANSWERS
    poll: "PollAnswer | None" = None  # an answered poll's answer, to show its counts by

    @property
    def done(self) -> bool:
        return self.response is not None

    @property
    def min_answers(self) -> int:
        return settings.POLL_MIN_ANSWERS

    @property
    def poll_slot(self) -> str:
        """Where a kept page shows this poll's counts, filled whenever it is served."""
        return POLL_SLOT.format(self.activity.pk)

    @property
    def answered_right(self) -> bool:
        right = {o.id for o in self.activity.options.all() if o.is_correct}
        return self.chosen == right


def activity_states(*, enrollment: Enrollment, unit: Unit) -> list[ActivityState]:
    """Each activity of the unit with this participant's response and, for polls, the group's."""
    return page_reads(enrollment=enrollment, unit=unit, recall=False)[0]


def page_reads(
    *, enrollment: Enrollment, unit: Unit, recall: bool
) -> tuple[list[ActivityState], list["RecallItem"]]:
    """`activity_states` and, with `recall` (*this week*), `recall_items`: their two queries
    sent together, one round trip to PostgreSQL."""
    activities = list(unit.activities.all())
    statements = [_responses_statement(enrollment, activities)] if activities else []
    due = _recall_statement(enrollment) if recall else None
    if due is not None:
        statements.append(due.statement)
    rows = sql.rows_together(statements)
    responses = {r.activity_id: r for r in _responses_from(rows[0])} if activities else {}
    states = []
    for activity in activities:
        response = responses.get(activity.id)
        chosen = response.chosen_ids if response else set()
        states.append(ActivityState(activity, response, chosen))
    _add_distributions([s for s in states if s.done and s.activity.kind == Activity.Kind.POLL])
    items = _recall_from(enrollment, rows[-1], due) if due is not None else []
    return states, items


def _responses_statement(enrollment: Enrollment, activities: list[Activity]) -> tuple[str, list]:
    """The participant's responses to these activities with their reaction and feedback
    counts and the ids of their chosen options, as text.

    Written out in SQL, as `page_versions`: building it took the ORM longer than running it,
    on every first view of a unit; so did prefetching the choices and feedback.
    """
    return _responses_sql(connection.vendor, len(activities)), [
        enrollment.pk,
        *(a.pk for a in activities),
    ]


def _responses_from(rows: list[tuple]) -> list[Response]:
    """The responses of `_responses_statement`'s rows, with their chosen options' ids
    (`chosen_ids`) and their feedback (a query more when any of them has some)."""
    width = len(Response._meta.concrete_fields)
    responses = []
    for row in rows:
        response = sql.model_from_row(Response, row[:width])
        response.reaction_count, response.feedback_count, chosen = row[width:]
        response.chosen_ids = {int(pk) for pk in chosen.split(",")} if chosen else set()
        responses.append(response)
    _attach_feedback(responses)
    return responses


def _attach_feedback(responses: list[Response]) -> None:
    """Each response's feedback with its authors, as a prefetch leaves it; read only for the
    responses that have some (`feedback_count`)."""
    with_feedback = [r for r in responses if r.feedback_count]
    if with_feedback:
        prefetch_related_objects(with_feedback, _feedback())
    for response in responses:
        if not response.feedback_count:
            # As a prefetch that found none leaves it, evaluated: the page asks for it without
            # a query, and without building one (0.1 ms each answered activity).
            none = Feedback.objects.none()
            none._result_cache, none._prefetch_done = [], True  # type: ignore[attr-defined]
            response._prefetched_objects_cache = {"feedback": none}  # type: ignore[attr-defined]


@functools.cache
def _responses_sql(vendor: str, activities: int) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(f"r.{quote(f.column)}" for f in Response._meta.concrete_fields)
    reactions = Reaction._meta.db_table
    feedback = Feedback._meta.db_table
    through = Response.choices.through._meta.db_table
    # The chosen options' ids, joined by commas: one value, whichever database.
    joined = (
        "string_agg(c.option_id::text, ',')"
        if vendor == "postgresql"
        else "group_concat(c.option_id)"
    )
    return f"""
        SELECT {columns},
          (SELECT COUNT(*) FROM {reactions} x WHERE x.response_id = r.id) AS reaction_count,
          (SELECT COUNT(*) FROM {feedback} f WHERE f.response_id = r.id) AS feedback_count,
          (SELECT {joined} FROM {through} c WHERE c.response_id = r.id) AS chosen_ids_
        FROM {Response._meta.db_table} r
        WHERE r.enrollment_id = %s AND r.activity_id IN ({", ".join(["%s"] * activities)})
    """  # noqa: S608 - table and column names from the models, values as parameters


POLL_CACHE_SECONDS = 60
_MINUTE = dt.timedelta(seconds=POLL_CACHE_SECONDS)


class PollAnswer(NamedTuple):
    """A person's answer to a poll, with what showing the poll's counts beside it needs:
    kept with their page, which is filled with the counts current whenever it is served."""

    activity_id: int
    is_scale: bool
    labels: tuple[tuple[int, str], ...]  # each value or option id with its label, in order
    mine: tuple[int, ...]  # the values or options chosen
    answered_at: dt.datetime


def poll_answer(state: ActivityState) -> PollAnswer:
    """The person's answer to the answered poll of `state`."""
    activity, response = state.activity, state.response
    assert response is not None  # noqa: S101 - only answered polls come here
    if activity.is_scale:
        scale = list(activity.scale)
        labels = tuple((v, _scale_label(v, i, len(scale), activity)) for i, v in enumerate(scale))
        mine: tuple[int, ...] = (response.value,) if response.value is not None else ()
    else:
        labels = tuple((o.id, o.text) for o in activity.options.all())
        mine = tuple(sorted(state.chosen))
    return PollAnswer(activity.id, activity.is_scale, labels, mine, response.created_at)


def _scale_label(value: int, index: int, length: int, activity: Activity) -> str:
    """A scale's value, with its end's name at either end (as the dashboard names them)."""
    if index == 0 and activity.scale_low:
        return f"{value} ({activity.scale_low})"
    if index == length - 1 and activity.scale_high:
        return f"{value} ({activity.scale_high})"
    return str(value)


class PollCounts(NamedTuple):
    counted_at: dt.datetime
    counts: dict[int, int]  # answers per value or option


def poll_shares(poll: PollAnswer, counted: PollCounts) -> tuple[int, list[Share]]:
    """How many answered the poll, and its shares from POLL_MIN_ANSWERS answers (else none),
    from the counts, with the person's own answer counted when it is newer than they are."""
    counted_at, counts = counted
    if poll.answered_at > counted_at:  # answered after the count was made
        counts = dict(counts)
        for k in poll.mine:
            counts[k] = counts.get(k, 0) + 1
    rows = [(label, counts.get(k, 0), k in poll.mine) for k, label in poll.labels]
    answers = sum(n for _, n, _ in rows)
    if answers < settings.POLL_MIN_ANSWERS:
        return answers, []
    return answers, [Share(label, n, round(100 * n / answers), m) for label, n, m in rows]


def poll_counts(polls: list[PollAnswer]) -> dict[int, PollCounts]:
    """The answers counted per value or option of each poll, by activity id: counted at most a
    minute ago, by whichever process counted first (one read of the kept pages' cache, none
    when this process read it in the last seconds), else now (two queries at most).

    Counting every answer of a national program's poll takes tens of milliseconds. A count is
    current by this clock, not only the cache's (Redis expires keys by its own).
    """
    now = timezone.now()
    # Held by each process for a few seconds as well (`shared`): a first view showing a poll
    # asks twice (its distribution, then its kept page's counts), and each kept page once.
    read = shared.get_many([_poll_key(p.activity_id) for p in polls])
    found = {}
    for poll in polls:
        counted = read.get(_poll_key(poll.activity_id))
        if counted is not None and dt.timedelta(0) <= now - counted[0] < _MINUTE:
            found[poll.activity_id] = PollCounts(*counted)
    stale = [p for p in polls if p.activity_id not in found]
    if stale:
        fresh = _count_answers(stale)
        made = {p.activity_id: PollCounts(now, fresh.get(p.activity_id, {})) for p in stale}
        shared.set_many({_poll_key(i): tuple(c) for i, c in made.items()}, POLL_CACHE_SECONDS)
        found |= made
    return found


def _add_distributions(states: list[ActivityState]) -> None:
    """Attach the anonymous distribution of answers to each answered poll (`poll_shares`)."""
    for state in states:
        state.poll = poll_answer(state)
    counted = poll_counts([s.poll for s in states if s.poll]) if states else {}
    for state in states:
        if state.poll:
            counts = counted[state.poll.activity_id]
            state.answers, state.distribution = poll_shares(state.poll, counts)


def _poll_key(activity: Activity | int) -> str:
    return f"poll-counted:{activity if isinstance(activity, int) else activity.pk}"


def _count_answers(polls: list[PollAnswer]) -> dict[int, dict[int, int]]:
    """Answers per value or option of each of these polls, by activity id: two queries at most."""
    scales = [p.activity_id for p in polls if p.is_scale]
    choices = [p.activity_id for p in polls if not p.is_scale]
    counts: dict[int, dict[int, int]] = {}
    if scales:
        values = (
            Response.objects.filter(activity__in=scales)
            .values_list("activity_id", "value")
            .annotate(n=Count("id"))
            .order_by()
        )
        for a, v, n in values:
            counts.setdefault(a, {})[v] = n
    if choices:
        rows = (
            Response.choices.through.objects.filter(option__activity__in=choices)
            .values_list("option__activity_id", "option_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for a, o, n in rows:
            counts.setdefault(a, {})[o] = n
    return counts


def next_seminar(*, program: Program, group_id: int | None = None) -> Seminar | None:
    """The next seminar open to the participant's group: one query.

    A seminar with no groups chosen is for every group; one with groups only for them, so a
    participant without a group (group_id None) sees only seminars for everyone.
    """
    invited = Q(groups=None) | Q(groups=group_id) if group_id else Q(groups=None)
    return (
        Seminar.objects.filter(program=program, ends_at__gte=timezone.now()).filter(invited).first()
    )


SHARED_SECONDS = UNIT_CACHE_SECONDS


def seminar_for(*, program: Program, group_id: int | None = None) -> Seminar | None:
    """`next_seminar` from the program's seminars ahead, read once for all its participants
    and shared like the unit's content (`open_unit`): no query when they are kept."""
    key = f"seminars:{program.pk}:{program.organization.pages_version}"
    ahead = shared.get(key)
    if ahead is None:
        ahead = _seminars_ahead(program)
        shared.set(key, ahead, SHARED_SECONDS)
    now = timezone.now()
    for seminar, groups in ahead:
        if seminar.ends_at >= now and (not groups or group_id in groups):
            return seminar
    return None


def _seminars_ahead(program: Program) -> list[tuple[Seminar, frozenset[int]]]:
    """The program's seminars not ended, first first, each with the groups it is for (none:
    every group): one query."""
    names = [f.attname for f in Seminar._meta.concrete_fields]
    rows = (
        Seminar.objects.filter(program=program, ends_at__gte=timezone.now())
        .order_by("starts_at", "pk")
        .values_list(*names, "groups")
    )
    seminars: dict[int, tuple[Seminar, set[int]]] = {}
    for *values, group_id in rows:
        seminar, groups = seminars.setdefault(
            values[0], (Seminar.from_db(connection.alias, names, values), set())
        )
        if group_id is not None:
            groups.add(group_id)
    return [(seminar, frozenset(groups)) for seminar, groups in seminars.values()]


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
    weeks_active: int  # weeks in which the participant did at least one activity

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
        weeks_active=len(active_weeks),
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


# Sharing: Who sees a shared reflection, and what they may do with it: the one place that decides.
#
# A reflection is private unless its writer shares it with any of: their group, their
# supporters, the facilitators. What is shared with a group is seen by the facilitators too
# (the organization's facilitators and admins, who run the program's groups). Taking it back
# hides it again everywhere, since every read goes through here.

Audience = Response.Audience
TEXT_KINDS = [Activity.Kind.REFLECTION, Activity.Kind.TASK]
FOR_FACILITATORS = Q(shared_with_facilitators=True) | Q(shared_with_group=True)
FEED_PAGE_SIZE = 25


def _shared(qs: QuerySet) -> QuerySet:
    """Shared writing with its writer, week, feedback and reaction count: three queries."""
    return (
        qs.filter(activity__kind__in=TEXT_KINDS, activity__removed_at__isnull=True)
        .exclude(text="")
        .select_related("enrollment__user", "enrollment__group", "activity__unit")
        .annotate(reaction_count=Count("reactions"))
        .prefetch_related(Prefetch("feedback", Feedback.objects.select_related("author")))
        .order_by("-created_at", "-pk")
    )


def shared_with_group(*, enrollment: Enrollment, week: int) -> list[Response]:
    """What the participant's group shared in a program week (their own included)."""
    if enrollment.group_id is None:
        return []
    return list(
        _shared(
            Response.objects.filter(
                enrollment__group_id=enrollment.group_id,
                enrollment__is_active=True,
                shared_with_group=True,
                activity__unit__number=week,
            )
        )
    )


def shared_with_facilitators(*, program: Program) -> list[Response]:
    """The newest 200 reflections the program's facilitators see: shared with them or a group."""
    return list(
        _shared(Response.objects.filter(FOR_FACILITATORS, enrollment__program=program))[:200]
    )


@dataclass
class FeedFilters:
    """The facilitator feed's filters, read from its GET parameters (bad values are ignored)."""

    group: int | None = None
    week: int | None = None
    awaiting: bool = False

    @classmethod
    def from_query(cls, query, *, program: Program) -> "FeedFilters":
        def number(name: str) -> int | None:
            value = query.get(name, "")
            return int(value) if value.isdigit() and int(value) > 0 else None

        group = number("group")
        if group is not None and not program.groups.filter(pk=group).exists():
            group = None
        week = number("week")
        return cls(
            group, week if week is None or week <= 99 else None, query.get("awaiting") == "1"
        )

    def query(self) -> dict[str, str]:
        """The filters as GET parameters, for the pager's and the replies' links."""
        found = {"group": self.group, "week": self.week, "awaiting": 1 if self.awaiting else None}
        return {name: str(value) for name, value in found.items() if value is not None}


def facilitator_feed(*, program: Program, filters: FeedFilters, page: str | int = 1) -> Page:
    """One page of what the facilitators see, filtered: four queries whatever the page holds."""
    rows = Response.objects.filter(FOR_FACILITATORS, enrollment__program=program)
    if filters.group is not None:
        rows = rows.filter(enrollment__group_id=filters.group)
    if filters.week is not None:
        rows = rows.filter(activity__unit__number=filters.week)
    if filters.awaiting:
        staff = Membership.objects.filter(
            organization_id=program.organization_id, role__in=AUTHORS
        ).values("user_id")
        rows = rows.exclude(
            Exists(Feedback.objects.filter(response=OuterRef("pk"), author_id__in=staff))
        )
    return Paginator(_shared(rows), FEED_PAGE_SIZE).get_page(page)


def shared_item(*, program: Program, pk: int) -> Response:
    """One item of the facilitator feed as the feed shows it, after a reply."""
    return _shared(Response.objects.filter(FOR_FACILITATORS, enrollment__program=program)).get(
        pk=pk
    )


def shared_with_supporter(*, user) -> list[Response]:
    supported = Supporter.objects.filter(user=user).values("enrollment")
    return list(
        _shared(
            Response.objects.filter(
                enrollment__in=supported,
                enrollment__is_active=True,
                shared_with_supporters=True,
            )
        )[:200]
    )


def may_react(*, user, response: Response) -> bool:
    """Peers in the writer's group react to what was shared with the group."""
    return (
        response.shared_with_group
        and response.enrollment.user_id != user.pk
        and response.enrollment.group_id is not None
        and Enrollment.objects.filter(
            user=user, group_id=response.enrollment.group_id, is_active=True
        ).exists()
    )


def may_reply(*, user, response: Response) -> bool:
    """Facilitators and admins reply to what was shared with them or with a group; supporters
    to what was shared with supporters."""
    if (response.shared_with_facilitators or response.shared_with_group) and (
        Membership.objects.filter(
            user=user,
            organization_id=response.enrollment.program.organization_id,
            role__in=AUTHORS,
        ).exists()
    ):
        return True
    if response.shared_with_supporters:
        return Supporter.objects.filter(user=user, enrollment=response.enrollment_id).exists()
    return False


# Spaced recall: the key points due this week (learning/services.py schedules them)

RECALL_SHOWN = 3  # key points at the top of *this week*, at most


@dataclass
class RecallItem:
    card: RecallCard
    question: RecallQuestion
    done: bool  # answered this week
    # The week a key point answered this week comes back in opens no sooner than next week:
    # FSRS may give a due date earlier than that (even one already past).
    next_week_opens: dt.datetime | None = None

    @property
    def comes_back(self) -> dt.datetime:
        if self.next_week_opens is None:
            return self.card.due
        return max(self.card.due, self.next_week_opens)

    @property
    def remembered(self) -> bool:
        return self.done and (self.card.last_rating or 0) >= 3

    @property
    def right_options(self) -> list[Option]:
        activity = self.question.activity
        return [o for o in activity.options.all() if o.is_correct] if activity else []


def _recall_cards(enrollment: Enrollment, moment: dt.datetime) -> QuerySet:
    program = enrollment.program
    week = program.week_at(moment)
    opened, next_opens = program.opens_at(week), program.opens_at(week + 1)
    due = Q(due__lt=next_opens) & (Q(last_review__isnull=True) | Q(last_review__lt=opened))
    return RecallCard.objects.filter(
        due | Q(last_review__gte=opened),
        enrollment=enrollment,
        question__unit__published_at__isnull=False,
        question__unit__number__lt=week,
    ).exclude(question__activity__removed_at__isnull=False)


def recall_items(*, enrollment: Enrollment) -> list[RecallItem]:
    """Up to three key points due this week, or answered this week: one query (and the
    program's key points with their quizzes' options when they are not kept: two more).

    Shown in the order of the program, so that an answered one stays where it was.
    """
    due = _recall_statement(enrollment)
    return _recall_from(enrollment, sql.rows_together([due.statement])[0], due)


class _Due(NamedTuple):
    statement: tuple[str, list]  # the cards due or answered in the week under way
    opened: dt.datetime  # when that week opened
    next_opens: dt.datetime


def _recall_statement(enrollment: Enrollment) -> _Due:
    program = enrollment.program
    week = program.week_at(timezone.now())
    opened, next_opens = program.opens_at(week), program.opens_at(week + 1)
    moments = [connection.ops.adapt_datetimefield_value(m) for m in (next_opens, opened, opened)]
    params = [enrollment.pk, week, *moments, RECALL_SHOWN]
    return _Due((_recall_cards_sql(connection.vendor), params), opened, next_opens)


def _recall_from(enrollment: Enrollment, rows: list[tuple], due: _Due) -> list[RecallItem]:
    cards = [sql.model_from_row(RecallCard, row) for row in rows]
    if cards:
        questions = _recall_questions(enrollment.program)
        if any(c.question_id not in questions for c in cards):  # added since: read afresh
            questions = _recall_questions(enrollment.program, fresh=True)
        for card in cards:
            card.question = questions[card.question_id]
    return [
        RecallItem(
            c, c.question, c.last_review is not None and c.last_review >= due.opened,
            due.next_opens,
        )
        for c in cards
    ]  # fmt: skip


@functools.cache
def _recall_cards_sql(vendor: str) -> str:
    """`_recall_cards` in the program's order, at most a number: written out as `_responses`."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"c.{quote(f.column)}" for f in RecallCard._meta.concrete_fields)
    tables = {
        "card": RecallCard._meta.db_table,
        "question": RecallQuestion._meta.db_table,
        "unit": Unit._meta.db_table,
        "activity": Activity._meta.db_table,
    }
    return f"""
        SELECT {columns}
        FROM {tables["card"]} c
        JOIN {tables["question"]} q ON q.id = c.question_id
        JOIN {tables["unit"]} u ON u.id = q.unit_id
        LEFT JOIN {tables["activity"]} a ON a.id = q.activity_id
        WHERE c.enrollment_id = %s AND u.published_at IS NOT NULL AND u.number < %s
          AND a.removed_at IS NULL
          AND ((c.due < %s AND (c.last_review IS NULL OR c.last_review < %s))
               OR c.last_review >= %s)
        ORDER BY u.number, q.position, c.question_id
        LIMIT %s
    """  # noqa: S608 - table and column names from the models, values as parameters


def _recall_questions(program: Program, *, fresh: bool = False) -> dict[int, RecallQuestion]:
    """The program's key points with their quizzes' options, by id: read once for all its
    participants and shared like the unit's content (`open_unit`), two queries when not."""
    key = f"recall-questions:{program.pk}:{program.organization.pages_version}"
    questions = None if fresh else shared.get(key)
    if questions is None:
        questions = {
            q.pk: q
            for q in RecallQuestion.objects.filter(unit__program=program)
            .select_related("activity")
            .prefetch_related(Prefetch("activity__options", Option.objects.order_by("position")))
        }
        shared.set(key, questions, SHARED_SECONDS)
    return questions


def recall_due_count(*, enrollment: Enrollment, moment: dt.datetime) -> int:
    """How many key points are due in the week under way at `moment`, at most three."""
    program = enrollment.program
    week = program.week_at(moment)
    opened = program.opens_at(week)
    return min(
        RECALL_SHOWN,
        _recall_cards(enrollment, moment)
        .filter(Q(last_review__isnull=True) | Q(last_review__lt=opened))
        .count(),
    )


def recall_due_counts(*, program: Program, moment: dt.datetime) -> dict[int, int]:
    """Key points due in the week under way at `moment`, per person (their user id), at most
    three each, for everyone in the program: one grouped query (the week's release message)."""
    week = program.week_at(moment)
    opened, next_opens = program.opens_at(week), program.opens_at(week + 1)
    rows = (
        RecallCard.objects.filter(
            Q(last_review__isnull=True) | Q(last_review__lt=opened),
            enrollment__program=program,
            enrollment__is_active=True,
            due__lt=next_opens,
            question__unit__published_at__isnull=False,
            question__unit__number__lt=week,
        )
        .exclude(question__activity__removed_at__isnull=False)
        .values_list("enrollment__user_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {user_id: min(n, RECALL_SHOWN) for user_id, n in rows}
