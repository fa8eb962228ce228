"""Planning: turn programs, seminars and feedback into due rows, each at an allowed moment.

`plan()` runs in every worker every minute or so. It is idempotent: a row's key is unique and
people who already have a row are left out, so several workers planning at once add each
message once. Rows are planned a little ahead (HORIZON); what is already too late is not
planned at all.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from pocketmentor.learning.models import Enrollment, Feedback, Response
from pocketmentor.lib import sql
from pocketmentor.nudges.models import Nudge, NudgeRules, Preference
from pocketmentor.nudges.rules import DAY, at, next_allowed, rules_for, rules_map, zone_of
from pocketmentor.orgs.models import Membership
from pocketmentor.orgs.permissions import AUTHORS
from pocketmentor.programs.models import Program
from pocketmentor.programs.selectors import FirstRelease

HORIZON = dt.timedelta(hours=36)
# How late each kind may still go out; later it is stale and dropped.
RELEASE_LATE = dt.timedelta(days=2)
REMINDER_LATE = dt.timedelta(hours=12)
DIGEST_LATE = dt.timedelta(days=1)
FEEDBACK_LATE = dt.timedelta(days=7)
SEMINAR_CUTOFF = dt.timedelta(hours=2)  # no notice this close to the start
REMINDER_CUTOFF = dt.timedelta(hours=24)  # no reminder this close to the next week
# The slot of a reminder a facilitator asked for: apart from the planned ones, which it does
# not replace; it counts toward the cap like them.
ASKED_SLOT = 100


@dataclass(frozen=True)
class Planned:
    kind: str
    key: str
    person_id: int
    program_id: int
    due_at: dt.datetime
    stale_at: dt.datetime
    unit_id: int | None = None
    seminar_id: int | None = None
    feedback_id: int | None = None
    week: int | None = None
    slot: int = 0

    def values(self) -> dict:
        """The row's columns by attribute; the others take their defaults."""
        return {
            "kind": self.kind,
            "key": self.key,
            "person_id": self.person_id,
            "program_id": self.program_id,
            "unit_id": self.unit_id,
            "seminar_id": self.seminar_id,
            "feedback_id": self.feedback_id,
            "week": self.week,
            "slot": self.slot,
            "due_at": self.due_at,
            "stale_at": self.stale_at,
            "next_attempt_at": self.due_at,
        }


def plan(*, now: dt.datetime | None = None, horizon: dt.timedelta = HORIZON) -> int:
    """Create the rows due before now + horizon that do not exist yet; how many were new."""
    now = now or timezone.now()
    planned = list(candidates(now=now, until=now + horizon, skip_planned=True))
    return save(planned)


def save(planned: list[Planned]) -> int:
    if not planned:
        return 0
    people = {p.person_id for p in planned}
    existing_keys = set()
    for chunk in _chunks([p.key for p in planned], 900):
        existing_keys.update(Nudge.objects.filter(key__in=chunk).values_list("key", flat=True))
    rows = [p.values() for p in planned if p.key not in existing_keys]
    # In raw statements (lib/sql.py): at 100,000 people the ORM's bulk_create spends most of
    # planning building a model and compiling each row.
    with transaction.atomic():
        sql.insert_new(Preference, ({"person_id": person} for person in people))
        # Another worker planning at the same moment may insert the same keys: they are skipped.
        sql.insert_new(Nudge, rows)
    return len(rows)


def candidates(*, now: dt.datetime, until: dt.datetime, skip_planned: bool) -> Iterator[Planned]:
    """Every message due between now (or a little before, if not yet stale) and `until`."""
    programs = list(Program.objects.filter(state=Program.State.LIVE).select_related("organization"))
    rules = rules_map(programs)
    digests: dict[str, Planned] = {}
    for program in programs:
        planner = _ProgramPlanner(program, rules[program.pk], now, until, skip_planned)
        yield from planner.releases()
        yield from planner.reminders()
        yield from planner.seminars()
        # One digest per person, organization and week, covering all its live programs: the
        # earliest moment any of them asks for (the message reads every program when it goes).
        for digest in planner.digests():
            if digest.key not in digests or digest.due_at < digests[digest.key].due_at:
                digests[digest.key] = digest
    yield from digests.values()


def first_release(program: Program, numbers: list[int], now: dt.datetime) -> FirstRelease:
    """The first "week opens" message a program going live now would send, as planned below:
    the first of weeks `numbers` whose message is not yet too late, at the program's hours
    (a person's own time zone may move it)."""
    rules = rules_for(program)
    if not rules.releases:
        return FirstRelease(off=True)
    for number in sorted(numbers):
        opens, next_open = program.opens_at(number), program.opens_at(number + 1)
        if opens + RELEASE_LATE <= now:
            continue
        due = next_allowed(opens, rules, program.zone)
        # Sent when due, or when the worker meets it, within the hours messages may arrive.
        at = next_allowed(max(due, now), rules, program.zone)
        if at < min(next_open, due + RELEASE_LATE):
            return FirstRelease(number=number, at=at)
    return FirstRelease()


class _ProgramPlanner:
    def __init__(self, program, rules: NudgeRules, now, until, skip_planned: bool):
        self.program, self.rules, self.now, self.until = program, rules, now, until
        self.skip_planned = skip_planned
        self._prefs: dict[int, Preference] | None = None

    @property
    def prefs(self) -> dict[int, Preference]:
        """Only the preferences that change planning: the rest are the defaults."""
        if self._prefs is None:
            rows = (
                Preference.objects.filter(person__enrollments__program=self.program)
                .exclude(
                    time_zone="",
                    reminder_weekday=None,
                    reminder_time=None,
                    reminders=True,
                    enabled=True,
                )
                .distinct()
            )
            self._prefs = {pref.person_id: pref for pref in rows}
        return self._prefs

    def enrolled(self):
        return Enrollment.objects.filter(
            program=self.program, is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)

    def _without(self, people, **nudge):
        if not self.skip_planned:
            return people
        planned = Nudge.objects.filter(program=self.program, **nudge).values("person_id")
        return people.exclude(user_id__in=planned)

    def _units(self):
        program = self.program
        for unit in program.units.published().order_by("number"):
            opens, next_open = program.opens_at(unit.number), program.opens_at(unit.number + 1)
            if opens <= self.until and next_open > self.now:
                yield unit, opens, next_open

    def releases(self) -> Iterator[Planned]:
        if not self.rules.releases:
            return
        for unit, opens, next_open in self._units():
            if opens + RELEASE_LATE <= self.now:
                continue
            people = self._without(self.enrolled(), kind=Nudge.Kind.RELEASE, unit=unit)
            for person in people.iterator(chunk_size=5000):
                pref = self.prefs.get(person)
                if pref is not None and not pref.enabled:
                    continue
                due = next_allowed(opens, self.rules, zone_of(pref, self.program))
                stale = min(next_open, due + RELEASE_LATE)
                if due <= self.until and stale > self.now:
                    yield Planned(
                        Nudge.Kind.RELEASE, f"release:{unit.pk}:{person}", person,
                        self.program.pk, due, stale, unit_id=unit.pk, week=unit.number,
                    )  # fmt: skip

    def reminders(self) -> Iterator[Planned]:
        rules = self.rules
        if not rules.reminders or not rules.max_reminders:
            return
        for unit, opens, next_open in self._units():
            people = self.enrolled()
            if opens <= self.now:  # those who already did something this week need none
                done = Response.objects.filter(
                    enrollment__user_id=OuterRef("user_id"),
                    enrollment__program=self.program,
                    activity__unit=unit,
                )
                people = people.alias(done=Exists(done)).filter(done=False)
            # People who chose their own weekday may be due on any day; the rest within a day
            # (time zones, own time of day) of the program's moment for the slot.
            own_day = [p for p, pref in self.prefs.items() if pref.reminder_weekday]
            for slot in range(rules.max_reminders):
                moment = self._slot(opens, rules.reminder_weekday, rules.reminder_time, slot)
                near = self.now - REMINDER_LATE - DAY <= moment <= self.until + DAY
                if not near and not own_day:
                    continue  # spares the query that looks for who is inactive
                slot_people = self._without(people, kind=Nudge.Kind.REMINDER, unit=unit, slot=slot)
                if not near:
                    slot_people = slot_people.filter(user_id__in=own_day)
                for person in slot_people.iterator(chunk_size=5000):
                    planned = self._reminder(person, unit, slot, opens, next_open)
                    if planned is not None:
                        yield planned

    def _slot(self, opens, weekday: int, time, slot: int, zone=None) -> dt.datetime:
        """Reminder `slot` of a week: the first `weekday` at `time` after it opens, then every
        `reminder_every_days` days, on the wall clock of `zone`."""
        zone = zone or self.program.zone
        first = opens.astimezone(zone).date()
        first += dt.timedelta(days=(weekday - first.isoweekday()) % 7)
        moment = at(first + slot * self.rules.reminder_every_days * DAY, time, zone)
        if at(first, time, zone) < opens:  # that weekday, but before the week opened
            moment = at(first + (7 + slot * self.rules.reminder_every_days) * DAY, time, zone)
        return moment

    def _reminder(self, person, unit, slot, opens, next_open) -> Planned | None:
        rules, pref = self.rules, self.prefs.get(person)
        if pref is not None and (not pref.enabled or not pref.reminders):
            return None
        zone = zone_of(pref, self.program)
        weekday = (pref and pref.reminder_weekday) or rules.reminder_weekday
        time = (pref and pref.reminder_time) or rules.reminder_time
        moment = self._slot(opens, weekday, time, slot, zone)
        due = next_allowed(moment, rules, zone)
        stale = min(due + REMINDER_LATE, next_open)
        if due >= next_open - REMINDER_CUTOFF or due > self.until or stale <= self.now:
            return None
        return Planned(
            Nudge.Kind.REMINDER, f"reminder:{unit.pk}:{person}:{slot}", person, self.program.pk,
            due, stale, unit_id=unit.pk, week=unit.number, slot=slot,
        )  # fmt: skip

    def digests(self) -> Iterator[Planned]:
        rules, program = self.rules, self.program
        if not rules.digests:
            return
        last_week = program.units.published().order_by("-number").values_list("number", flat=True)
        last = last_week.first() or 0
        first = max(1, program.week_at(self.now - DIGEST_LATE))
        weeks = range(first, min(last, program.week_at(self.until)) + 1)
        if not weeks:
            return
        staff = list(
            Membership.objects.filter(
                organization_id=program.organization_id, role__in=AUTHORS, user__is_active=True
            ).values_list("user_id", flat=True)
        )
        prefs = {p.person_id: p for p in Preference.objects.filter(person__in=staff)}
        for week in weeks:
            opens = program.opens_at(week)
            for person in staff:
                pref = prefs.get(person)
                if pref is not None and not pref.enabled:
                    continue
                zone = zone_of(pref, program)
                day = opens.astimezone(zone).date()
                day += dt.timedelta(days=(rules.digest_weekday - day.isoweekday()) % 7)
                moment = at(day, rules.digest_time, zone)
                if moment < opens:
                    moment = at(day + 7 * DAY, rules.digest_time, zone)
                due = next_allowed(moment, rules, zone)
                stale = due + DIGEST_LATE
                if due <= self.until and stale > self.now:
                    yield Planned(
                        Nudge.Kind.DIGEST, digest_key(program, person, due.astimezone(zone)),
                        person, program.pk, due, stale, week=week,
                    )  # fmt: skip

    def seminars(self) -> Iterator[Planned]:
        rules, program = self.rules, self.program
        if not rules.seminars:
            return
        notice = dt.timedelta(days=rules.seminar_notice_days)
        seminars = program.seminars.filter(
            starts_at__gt=self.now + SEMINAR_CUTOFF, starts_at__lte=self.until + notice
        ).prefetch_related("groups")
        for seminar in seminars:
            people = self.enrolled()
            groups = [group.pk for group in seminar.groups.all()]
            if groups:
                people = people.filter(group_id__in=groups)
            people = self._without(people, kind=Nudge.Kind.SEMINAR, seminar=seminar)
            stale = seminar.starts_at - SEMINAR_CUTOFF
            for person in people.iterator(chunk_size=5000):
                pref = self.prefs.get(person)
                if pref is not None and not pref.enabled:
                    continue
                due = next_allowed(seminar.starts_at - notice, rules, zone_of(pref, program))
                if due <= self.until and due < stale:
                    yield Planned(
                        Nudge.Kind.SEMINAR, f"seminar:{seminar.pk}:{person}", person,
                        program.pk, due, stale, seminar_id=seminar.pk,
                    )  # fmt: skip


def digest_key(program: Program, person: int, local_due: dt.datetime) -> str:
    """The organization's digest to a person in a calendar week (of their local due moment):
    the same whichever of its programs planned it, so planning adds it once."""
    year, week, _day = local_due.isocalendar()
    return f"digest:org{program.organization_id}:{year}-{week:02}:{person}"


def plan_feedback(feedback: Feedback, *, now: dt.datetime | None = None) -> Nudge | None:
    """A message to the writer of a reflection that got feedback, at the next allowed moment."""
    now = now or timezone.now()
    response = feedback.response
    enrollment = response.enrollment
    program = enrollment.program
    if feedback.author_id == enrollment.user_id:
        return None
    rules = rules_for(program)
    if not rules.feedback or program.state != Program.State.LIVE:
        return None
    pref = Preference.objects.filter(person_id=enrollment.user_id).first()
    if pref is not None and not pref.enabled:
        return None
    due = next_allowed(now, rules, zone_of(pref, program))
    planned = Planned(
        Nudge.Kind.FEEDBACK, f"feedback:{feedback.pk}", enrollment.user_id, program.pk,
        due, due + FEEDBACK_LATE, unit_id=response.activity.unit_id, feedback_id=feedback.pk,
    )  # fmt: skip
    save([planned])
    return Nudge.objects.filter(key=planned.key).first()


def plan_asked_reminder(enrollment: Enrollment, *, now: dt.datetime | None = None) -> str:
    """The reminder a facilitator asks for on the dashboard, as a nudge about the open week.

    Due at once, or at the next moment the rules allow; the worker then applies every rule at
    sending (preferences, the cap, the gap) and adds the unsubscribe link. "" when planned,
    else why not, for the facilitator.
    """
    now = now or timezone.now()
    program, person = enrollment.program, enrollment.user
    rules = rules_for(program)
    if not rules.reminders:
        return _("Reminders are turned off in this program's message rules.")
    pref = Preference.objects.filter(person_id=person.pk).first()
    if pref is not None and (not pref.enabled or not pref.reminders):
        return _("%(name)s has turned reminders off, so none was sent.") % {"name": person}
    unit = (
        program.units.published()
        .filter(number__lte=program.week_at(now))
        .order_by("-number")
        .first()
    )
    if unit is None:
        return _("No week is open yet, so there is nothing to remind %(name)s of.") % {
            "name": person
        }
    due = next_allowed(now, rules, zone_of(pref, program))
    save([
        Planned(
            Nudge.Kind.REMINDER, f"reminder:{unit.pk}:{person.pk}:asked:{now:%Y%m%d}", person.pk,
            program.pk, due, due + REMINDER_LATE, unit_id=unit.pk, week=unit.number,
            slot=ASKED_SLOT,
        )
    ])  # fmt: skip
    return ""


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
