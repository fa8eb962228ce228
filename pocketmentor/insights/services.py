"""Writes of the insights app: appending learning records, and keeping the rollups current.

`record_append` is the one way a record is written. It runs in the caller's transaction (a
record exists exactly when the action it describes does) and updates the rollups in that
same transaction. The hooks below it are what the learning app calls, one line each.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pocketmentor.insights import records, rollups
from pocketmentor.insights.models import (
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
from pocketmentor.learning.models import Enrollment, Feedback, Reaction, Response
from pocketmentor.programs.models import Activity, Program, Unit

# How long the materialised weekly figures serve before a page view refreshes them.
REFRESH_SECONDS = 60
REMIND_PAUSE = dt.timedelta(days=1)


@transaction.atomic(savepoint=False)
def record_append(
    *,
    verb: records.Verb,
    enrollment: Enrollment,
    target: records.Target,
    actor=None,
    moment: dt.datetime | None = None,
    result: dict | None = None,
    extensions: dict | None = None,
) -> LearningRecord:
    """Append a statement about `enrollment` and roll it up, in the caller's transaction.

    The actor is the enrollment's participant unless `actor` (who gave feedback) is given.
    """
    program = enrollment.program
    now = timezone.now()
    moment = moment or now
    week = program.week_at(moment)
    actor_id = actor.pk if actor is not None else enrollment.user_id
    record = _new_record(
        program=program, enrollment=enrollment, actor_id=actor_id, verb=verb, target=target,
        moment=moment, stored=now, week=week, result=result, extensions=extensions,
    )  # fmt: skip
    record.save(force_insert=True)
    found = rollups.effects(
        verb=verb.iri,
        kind=target.kind,
        unit_id=target.unit_id,
        activity_id=target.activity_id,
        week=week,
        moment=moment,
        response=(result or {}).get("response", ""),
    )
    rollups.apply(found, program_id=program.pk, enrollment_id=enrollment.pk)
    return record


# Hooks: one call each from the places where learners act ------------------------------------


def _result(activity: Activity, *, value: int | None, option_ids: Iterable) -> dict:
    """What an answer says in a statement: never the text written, only choices and values."""
    result: dict = {"completion": True}
    chosen = sorted(int(i) for i in option_ids)
    if activity.kind == Activity.Kind.QUIZ:
        right = sorted(o.pk for o in activity.options.all() if o.is_correct)
        result |= {"success": chosen == right, "response": records.SEPARATOR.join(map(str, chosen))}
    elif activity.kind == Activity.Kind.POLL:
        if activity.is_scale and value is not None:
            result["response"] = str(value)
        elif chosen:
            result["response"] = records.SEPARATOR.join(map(str, chosen))
    return result


def response_recorded(*, response: Response, option_ids: Iterable = ()) -> None:
    """A participant answered a reflection, quiz or poll, or checked in a task."""
    activity, enrollment = response.activity, response.enrollment
    verb = records.COMPLETED if activity.kind == Activity.Kind.TASK else records.ANSWERED
    language = enrollment.program.language
    target = records.activity_target(activity, activity.unit, language)
    result = _result(activity, value=response.value, option_ids=option_ids)
    record_append(verb=verb, enrollment=enrollment, target=target, result=result)
    if response.visibility != Response.Visibility.PRIVATE:
        _shared(response, response.visibility)


def response_sharing(*, response: Response, visibility: str) -> None:
    """Call before a changed visibility is saved: sharing with a new audience is recorded."""
    if visibility != response.visibility and visibility != Response.Visibility.PRIVATE:
        _shared(response, visibility)


def _shared(response: Response, audience: str) -> None:
    activity, enrollment = response.activity, response.enrollment
    target = records.activity_target(activity, activity.unit, enrollment.program.language)
    extensions = {records.extension("audience"): audience}
    record_append(verb=records.SHARED, enrollment=enrollment, target=target, extensions=extensions)


def feedback_recorded(*, feedback: Feedback) -> None:
    """A facilitator or supporter replied to a shared reflection: the writer received it."""
    response = feedback.response
    activity, enrollment = response.activity, response.enrollment
    target = records.activity_target(activity, activity.unit, enrollment.program.language)
    learner = records.agent(str(enrollment.user_id))
    record_append(
        verb=records.COMMENTED,
        enrollment=enrollment,
        target=target,
        actor=feedback.author,
        moment=feedback.created_at,
        extensions={records.extension("learner"): learner},
    )


def reaction_recorded(*, reaction: Reaction) -> None:
    """A peer reacted to what someone in their group shared."""
    response = reaction.response
    program_id = response.enrollment.program_id
    mine = (
        Enrollment.objects.select_related("program", "group")
        .filter(user_id=reaction.user_id, program_id=program_id)
        .first()
    )
    if mine is None:
        return
    activity = response.activity
    target = records.activity_target(activity, activity.unit, mine.program.language)
    record_append(
        verb=records.LIKED, enrollment=mine, target=target, result={"response": reaction.kind}
    )


def sign_in_recorded(*, user) -> None:
    """A participant signed in: one statement for each program they take part in."""
    taking_part = Enrollment.objects.select_related("program", "group").filter(
        user=user,
        is_active=True,
        program__state__in=[Program.State.LIVE, Program.State.FINISHED],
    )
    for enrollment in taking_part:
        target = records.program_target(enrollment.program)
        record_append(verb=records.LOGGED_IN, enrollment=enrollment, target=target)


def unit_opened(*, enrollment: Enrollment, unit: Unit) -> None:
    target = records.unit_target(unit, enrollment.program.language)
    record_append(verb=records.LAUNCHED, enrollment=enrollment, target=target)


def cards_read(*, enrollment: Enrollment, unit: Unit) -> None:
    target = records.cards_target(unit, enrollment.program.language)
    record_append(verb=records.EXPERIENCED, enrollment=enrollment, target=target)


# The weekly figures --------------------------------------------------------------------------


def program_weeks(program: Program) -> int:
    """How many weeks the program has: its highest published unit (at most 63)."""
    numbers = Unit.objects.published().filter(program=program).values_list("number", flat=True)
    return min(max(numbers, default=0), MAX_WEEKS)


def _schedule(program: Program) -> str:
    return f"{program.start_date}/{program.release_time}/{program.time_zone}"


def figures_current(*, program: Program, now: dt.datetime | None = None) -> ProgramInsight:
    """The program's figure state; materialises the weekly figures first when they are stale."""
    now = now or timezone.now()
    state = ProgramInsight.objects.filter(program=program).first()
    if state is not None and state.schedule and state.schedule != _schedule(program):
        rollups_rebuild(program=program)  # the start moved: every record is in another week
        return ProgramInsight.objects.get(program=program)
    fresh = (
        state is not None
        and state.refreshed_at is not None
        and now - state.refreshed_at < dt.timedelta(seconds=REFRESH_SECONDS)
        and program.week_at(state.refreshed_at) == program.week_at(now)
    )
    return state if fresh else figures_refresh(program=program, now=now)


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
        state.schedule = _schedule(program)
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

    def counts():
        return [[0] * size, [0] * size]  # enrolled (as differences), active

    total, by_group, by_department = counts(), defaultdict(counts), defaultdict(counts)
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


def rollups_rebuild(*, program: Program) -> int:
    """Recompute every rollup of the program from its records; how many records were read."""
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
            "timestamp",
            "statement__result__response",
        )
        .order_by()
    )
    count = 0
    for enrollment_id, verb, unit_id, activity_id, moment, response in rows.iterator(5000):
        found = rollups.effects(
            verb=verb,
            kind=kinds.get(activity_id, "") if activity_id else "",
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
    figures_refresh(program=program, full=True)
    return count


def _write_fold(program: Program, fold: rollups.Fold) -> None:
    enrollments = set(Enrollment.objects.filter(program=program).values_list("pk", flat=True))
    units = set(Unit.objects.filter(program=program).values_list("pk", flat=True))
    existing = {e.pk: e for e in Engagement.objects.filter(program=program)}
    changed, new = [], []
    for pk in enrollments:
        person = fold.people.get(pk) or rollups.Person()
        row = existing.get(pk) or Engagement(enrollment_id=pk, program=program)
        for kind in ("reflection", "task", "quiz", "poll"):
            setattr(row, f"{kind}_weeks", person.weeks[kind])
        row.done, row.last_done_at = person.done, person.last
        (changed if pk in existing else new).append(row)
    fields = ["reflection_weeks", "task_weeks", "quiz_weeks", "poll_weeks", "done", "last_done_at"]
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


def records_backfill(*, program: Program, visits: Iterable = ()) -> int:
    """Records for what happened before records were kept: answers, shares, feedback, reactions.

    `visits` adds units opened and cards read, as (enrollment, unit, opened_at, read_at or
    None): the demo's simulated history has them. Written in bulk; then rebuild the rollups.
    """
    have = set(
        LearningRecord.objects.filter(program=program, activity_id__isnull=False)
        .values_list("enrollment_id", "activity_id", "verb")
        .order_by()
    )
    language = program.language
    stored = timezone.now()
    weeks = rollups.Weeks(program)
    pending: list[LearningRecord] = []

    def add(verb, enrollment, target, moment, *, actor_id=None, result=None, extensions=None):
        pending.append(
            _new_record(
                program=program,
                enrollment=enrollment,
                actor_id=actor_id or enrollment.user_id,
                verb=verb,
                target=target,
                moment=moment,
                stored=stored,
                week=weeks.of(moment),
                result=result,
                extensions=extensions,
            )  # fmt: skip
        )

    # Each row's neighbours are read once and looked up: thousands of answers, few activities.
    activities = {
        a.pk: a
        for a in Activity.objects.filter(unit__program=program)
        .select_related("unit")
        .prefetch_related("options")
    }
    enrollments = {
        e.pk: e for e in Enrollment.objects.filter(program=program).select_related("group")
    }
    mates = {e.user_id: e for e in enrollments.values()}
    in_program = {"response__enrollment__program": program}
    chosen, feedback, reactions = defaultdict(list), defaultdict(list), defaultdict(list)
    for response_id, option_id in Response.choices.through.objects.filter(**in_program).values_list(
        "response_id", "option_id"
    ):
        chosen[response_id].append(option_id)
    for row in Feedback.objects.filter(**in_program).values_list(
        "response_id", "author_id", "created_at"
    ):
        feedback[row[0]].append(row[1:])
    for row in Reaction.objects.filter(**in_program).values_list(
        "response_id", "user_id", "kind", "created_at"
    ):
        reactions[row[0]].append(row[1:])
    responses = (
        Response.objects.filter(enrollment__program=program)
        .order_by("created_at", "pk")
        .values_list(
            "pk", "enrollment_id", "activity_id", "value", "visibility", "created_at", "updated_at"
        )
    )
    for pk, enrollment_id, activity_id, value, visibility, created_at, updated_at in responses:
        enrollment, activity = enrollments[enrollment_id], activities[activity_id]
        verb = records.COMPLETED if activity.kind == Activity.Kind.TASK else records.ANSWERED
        if (enrollment_id, activity_id, verb.iri) in have:
            continue
        target = records.activity_target(activity, activity.unit, language)
        result = _result(activity, value=value, option_ids=chosen[pk])
        add(verb, enrollment, target, created_at, result=result)
        if visibility != Response.Visibility.PRIVATE:
            audience = {records.extension("audience"): visibility}
            add(records.SHARED, enrollment, target, updated_at, extensions=audience)
        learner = {records.extension("learner"): records.agent(str(enrollment.user_id))}
        for author_id, moment in feedback[pk]:
            add(records.COMMENTED, enrollment, target, moment, actor_id=author_id,
                extensions=learner)  # fmt: skip
        for user_id, kind, moment in reactions[pk]:
            if user_id in mates:
                add(records.LIKED, mates[user_id], target, moment, result={"response": kind})
    for enrollment, unit, opened_at, read_at in visits:
        add(records.LAUNCHED, enrollment, records.unit_target(unit, language), opened_at)
        if read_at is not None:
            add(records.EXPERIENCED, enrollment, records.cards_target(unit, language), read_at)
    LearningRecord.objects.bulk_create(pending, batch_size=1000)
    return len(pending)


# Reminders ------------------------------------------------------------------------------------


class ReminderRefused(Exception):
    """The person got a reminder less than a day ago."""


@transaction.atomic
def reminder_send(*, enrollment: Enrollment) -> None:
    """E-mail a participant at risk a sign-in link: at most once a day per person."""
    from pocketmentor.accounts.services import login_link_url, person_language

    now = timezone.now()
    since = now - REMIND_PAUSE
    Engagement.objects.get_or_create(
        enrollment=enrollment, defaults={"program": enrollment.program}
    )
    person = Engagement.objects.filter(enrollment__user=enrollment.user_id)
    if person.filter(reminded_at__gt=since).exists():
        raise ReminderRefused
    sent = (
        Engagement.objects.filter(pk=enrollment.pk)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=since))
        .update(reminded_at=now)
    )
    if not sent:
        raise ReminderRefused
    user, program = enrollment.user, enrollment.program
    with translation.override(person_language(user)):
        context = {
            "user": user,
            "program": program,
            "url": login_link_url(user=user),
            "days": settings.SESAME_MAX_AGE // 86400,
        }
        message = EmailMultiAlternatives(
            subject=" ".join(
                render_to_string("insights/email/reminder_subject.txt", context).split()
            ),
            body=render_to_string("insights/email/reminder.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("insights/email/reminder.html", context), "text/html"
        )
    transaction.on_commit(message.send)


def remind_refused_message(user) -> str:
    return _("%(name)s got a reminder less than a day ago.") % {"name": user}


# A person's records: export and erasure -------------------------------------------------------


def _records_about(user) -> Q:
    return Q(actor=user) | Q(enrollment__in=Enrollment.objects.filter(user=user).values("pk"))


def records_of(user, organization=None) -> list[dict]:
    """The statements about a person (what they did, and feedback they received), oldest first.

    With `organization`, only that organization's. For the person's data export.
    """
    rows = LearningRecord.objects.filter(_records_about(user))
    if organization is not None:
        rows = rows.filter(program__organization=organization)
    return list(rows.order_by("timestamp", "id").values_list("statement", flat=True))


@transaction.atomic
def records_erase(user) -> int:
    """Anonymise the person in their records: a random account name, no link to them.

    The records stay, so the figures keep their history; they no longer lead to anyone.
    """
    anonymous = f"erased-{uuid.uuid4().hex}"
    own = str(user.pk)
    changed = []
    for record in LearningRecord.objects.filter(_records_about(user)).iterator(2000):
        statement = record.statement
        if record.actor_id == user.pk or record.actor_name == own:
            statement["actor"]["account"]["name"] = anonymous
            record.actor_id, record.actor_name = None, anonymous
        learner = (
            statement.get("context", {}).get("extensions", {}).get(records.extension("learner"))
        )
        if learner and learner.get("account", {}).get("name") == own:
            learner["account"]["name"] = anonymous
        changed.append(record)
    LearningRecord.objects.bulk_update(
        changed, ["statement", "actor", "actor_name"], batch_size=1000
    )
    return len(changed)


def _new_record(
    *, program, enrollment, actor_id, verb, target, moment, stored, week, result, extensions
) -> LearningRecord:
    """An unsaved record and its xAPI statement: one shape for live actions and backfills."""
    record_id = uuid.uuid4()
    name = str(actor_id)  # a person is named by their id here, nothing that names them
    statement = records.build(
        id=str(record_id), actor=name, verb=verb, target=target, moment=moment, stored=stored,
        program=program, group=enrollment.group, week=week, result=result, extensions=extensions,
    )  # fmt: skip
    return LearningRecord(
        id=record_id, program=program, enrollment=enrollment, actor_id=actor_id,
        actor_name=name, verb=verb.iri, object=target.iri, unit_id=target.unit_id,
        activity_id=target.activity_id, timestamp=moment, stored=stored, statement=statement,
    )  # fmt: skip
