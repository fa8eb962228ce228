"""The data sizes: the demo municipality, and a national program with ten million records.

national: 100,000 participants in groups of ten, in the last week of a 26-week program (the
eight leadership units, then those eight again as refreshers), with about ten million
learning records (responses and their chosen options) whose engagement fades over the weeks.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Max
from django.utils import timezone

from pocketmentor.accounts.models import User
from pocketmentor.bench import Figure, bulk
from pocketmentor.demo import DEPARTMENTS, FIRST, LAST, REFLECTIONS, demo_seed, start_monday
from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.programs.importer import read_program
from pocketmentor.programs.models import Activity, Card, Group, Option, Program, Seminar, Unit
from pocketmentor.programs.services import LIBRARY, program_import

PARTICIPANTS, GROUP_SIZE, WEEKS = 100_000, 10, 26
LANGUAGE = "nb"
# Share of participants active in a week: keen at first, settling near seven in ten.
FIRST_SHARE, LAST_SHARE, FADE_WEEKS = 0.97, 0.7, 6.0
# Chance that an active participant does an activity of each kind.
CHANCE = {"reflection": 0.9, "task": 0.88, "quiz": 0.95, "poll": 0.96}


def seed(size: str) -> list[Figure]:
    """Fill the empty bench database with one size; how long it took and the records written."""
    started = time.perf_counter()
    if size == "national":
        national_seed()
    else:
        demo_seed(language=LANGUAGE)
    seconds = time.perf_counter() - started
    records = Response.objects.count() + Response.choices.through.objects.count()
    return [
        Figure("generate.seconds", round(seconds, 1), "s"),
        Figure("generate.rows", records, "rows"),
    ]


@dataclass(frozen=True)
class Step:
    """An activity as the generator needs it."""

    id: int
    kind: str
    takes_text: bool
    scale: tuple[int, int] | None
    options: tuple[int, ...]
    right: tuple[int, ...]


@dataclass(frozen=True)
class Week:
    opens: int  # Unix seconds
    span: int  # seconds from opening until the next week opens, or until now
    steps: tuple[Step, ...]


def national_seed(*, seed: int = 2016) -> Organization:
    rng = random.Random(seed)
    now = timezone.now()
    org = Organization.objects.create(name="Lederløftet", slug="nasjonal", language=LANGUAGE)
    program = _program(org, now)
    groups = Group.objects.bulk_create(
        Group(program=program, name=f"Gruppe {n}") for n in range(1, PARTICIPANTS // GROUP_SIZE + 1)
    )
    with bulk.bulk_session():
        first = _people(org, program, groups, rng)
        with bulk.indexes_deferred([Response, Response.choices.through]):
            _history(_weeks(program, now), first, groups, rng)
    through = Response.choices.through
    bulk.finish([User, Membership, Enrollment, Response, through])
    return org


def _program(org: Organization, now: dt.datetime) -> Program:
    """The leadership program, grown to 26 units and started 25 weeks before this one."""
    folder = LIBRARY / "leadership" / LANGUAGE
    program = program_import(
        organization=org,
        folder=folder,
        start_date=start_monday(
            now, ZoneInfo(org.time_zone), read_program(folder).release_time, week=WEEKS
        ),
        state=Program.State.LIVE,
        publish=True,
    )
    template = list(program.units.values_list("pk", flat=True))
    for number in range(len(template) + 1, WEEKS + 1):
        _copy_unit(template[(number - 1) % len(template)], number)
    kickoff = program.opens_at(1) - dt.timedelta(days=4)
    closing = program.opens_at(WEEKS + 1) + dt.timedelta(days=2)
    for title, day in (("Oppstartssamling", kickoff), ("Avslutningssamling", closing)):
        begins = day.replace(hour=9, minute=0)
        Seminar.objects.create(
            program=program, title=title, starts_at=begins, ends_at=begins + dt.timedelta(hours=7)
        )
    return program


def _copy_unit(source_pk: int, number: int) -> None:
    """A refresher of an earlier unit: the same cards and activities under a new week."""
    source = Unit.objects.prefetch_related("cards", "activities__options").get(pk=source_pk)
    cards, activities = list(source.cards.all()), list(source.activities.all())
    unit = _copy(source, number=number, title=f"Repetisjon: {source.title}")
    Card.objects.bulk_create(_detach(card, unit=unit) for card in cards)
    for activity in activities:
        options = list(activity.options.all())
        activity = _copy(activity, unit=unit)
        for option in options:
            _detach(option, activity=activity)
        Option.objects.bulk_create(options)


def _detach(instance, **changes):
    """Django's documented way to copy a row: no primary key, not yet in the database."""
    instance.pk = None
    instance._state.adding = True
    for name, value in changes.items():
        setattr(instance, name, value)
    return instance


def _copy(instance, **changes):
    instance = _detach(instance, **changes)
    instance.save()
    return instance


def _people(org, program, groups, rng) -> int:
    """Users, memberships and enrollments with explicit ids; the first enrollment's id."""
    first_user = (User.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first = (Enrollment.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    stamp = bulk.utc_text()
    joined = stamp(int(program.opens_at(1).timestamp()) - 3 * 86_400)
    departments = DEPARTMENTS[LANGUAGE]
    users, members, enrollments = [], [], []
    for n in range(PARTICIPANTS):
        user = first_user + n
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        password = f"!{rng.getrandbits(160):040x}"  # unusable: participants sign in by link
        email = f"leder{n + 1:06d}@lederloftet.example"
        users.append((user, password, email, name, joined))
        members.append((org.pk, user, Membership.Role.PARTICIPANT.value, departments[n % 5]))
        group = groups[n // GROUP_SIZE].pk
        enrollments.append((first + n, program.pk, user, group, joined))
    bulk.write_rows(User, ["id", "password", "email", "name", "date_joined"], users)
    bulk.write_rows(Membership, ["organization", "user", "role", "department"], members)
    bulk.write_rows(Enrollment, ["id", "program", "user", "group", "enrolled_at"], enrollments)
    return first


def _weeks(program: Program, now: dt.datetime) -> list[Week]:
    units = Unit.objects.filter(program=program).prefetch_related("activities__options")
    weeks = []
    for unit in units.order_by("number"):
        opens = program.opens_at(unit.number)
        until = min(program.opens_at(unit.number + 1), now)
        steps = tuple(_step(a) for a in unit.activities.all())
        weeks.append(Week(int(opens.timestamp()), int((until - opens).total_seconds()), steps))
    return weeks


def _step(activity: Activity) -> Step:
    options = list(activity.options.all())
    return Step(
        id=activity.pk,
        kind=activity.kind,
        takes_text=activity.takes_text,
        scale=(activity.scale_min, activity.scale_max) if activity.is_scale else None,
        options=tuple(o.pk for o in options),
        right=tuple(o.pk for o in options if o.is_correct),
    )


def share(week: int) -> float:
    """The share of participants active in a program week."""
    return LAST_SHARE + (FIRST_SHARE - LAST_SHARE) * 0.5 ** ((week - 1) / FADE_WEEKS)


def _history(weeks: list[Week], first: int, groups, rng) -> None:
    """Responses and chosen options written week by week, in the order they would arrive.

    Rows of one week lie together and ids rise with time, as in a database that grew week by
    week; a participant-by-participant layout would spread each week's rows over the table.
    """
    group_factor = [rng.uniform(0.85, 1.12) for _ in groups]
    keenness = [rng.uniform(0.75, 1.2) * group_factor[n // GROUP_SIZE] for n in range(PARTICIPANTS)]
    next_id = (Response.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    week_rows = WeekRows(rng, bulk.utc_text())
    for number, week in enumerate(weeks, start=1):
        active = share(number)
        for n, keen in enumerate(keenness):
            if n == 0:  # the participant whose pages are measured did all but this week
                if week is not weeks[-1]:
                    week_rows.participant(first, week, everything=True)
            elif rng.random() <= min(0.99, active * keen):
                week_rows.participant(first + n, week)
        next_id = week_rows.write(next_id)


class WeekRows:
    """One week's responses, with their chosen options, generated and then written in bulk."""

    RESPONSE_FIELDS = ["id", "enrollment", "activity", "key", "text", "value"]
    RESPONSE_FIELDS += ["shared_with_group", "created_at", "updated_at"]

    def __init__(self, rng: random.Random, stamp):
        self.rng, self.stamp, self.texts = rng, stamp, REFLECTIONS[LANGUAGE]
        self.pending: list[tuple] = []

    def participant(self, enrollment: int, week: Week, *, everything: bool = False) -> None:
        rng = self.rng
        for step in week.steps:
            if everything or rng.random() <= CHANCE[step.kind]:
                at = week.opens + int(week.span * rng.random())
                self.pending.append((at, enrollment, step, *self._answer(step)))

    def _answer(self, step: Step) -> tuple:
        """Text, scale value, whether it is shared with the group, and chosen options."""
        rng = self.rng
        text = rng.choice(self.texts) if step.takes_text else ""
        value = None
        if step.scale:
            value = min(step.scale[1], max(step.scale[0], round(rng.gauss(3.3, 0.9))))
        to_group = rng.random() < 0.25
        if step.kind == Activity.Kind.QUIZ:
            picked = step.right if rng.random() < 0.72 else (rng.choice(step.options),)
        else:
            picked = (rng.choice(step.options),) if step.options else ()
        return text, value, to_group, picked

    def write(self, next_id: int) -> int:
        """Write the week in time order from id `next_id`; the id after the last one."""
        self.pending.sort(key=lambda row: row[0])
        responses, choices = [], []
        for rid, (at, enrollment, step, text, value, to_group, picked) in enumerate(
            self.pending, start=next_id
        ):
            stamp = self.stamp(at)
            # Keys rise with ids so that the unique index grows at its end, not all over.
            key = f"{rid:016x}{self.rng.getrandbits(64):016x}"
            responses.append((rid, enrollment, step.id, key, text, value, to_group, stamp, stamp))
            choices.extend((rid, option) for option in picked)
        bulk.write_rows(Response, self.RESPONSE_FIELDS, responses)
        bulk.write_rows(Response.choices.through, ["response", "option"], choices)
        self.pending = []
        return next_id + len(responses)
