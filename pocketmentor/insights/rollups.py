"""What a record changes in the rollups: one pure mapping, applied two ways.

`effects` says what a record means for the figures. `apply` makes those changes in the
database as a record arrives (a few single-row updates, in the record's transaction);
`Fold` gathers them in memory when the rollups are rebuilt from all the records. Both read
the same mapping, so live rollups and rebuilt ones agree.
"""

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from pocketmentor.insights import records
from pocketmentor.insights.models import (
    KINDS,
    MAX_WEEKS,
    AnswerCount,
    Engagement,
    LearningRecord,
    UnitFunnel,
    UnitProgress,
    WeekTally,
)
from pocketmentor.lib import sql

COMPLETIONS = {records.ANSWERED.iri, records.COMPLETED.iri}
STEP_OF_VERB = {
    records.LAUNCHED.iri: UnitProgress.OPENED,
    records.EXPERIENCED.iri: UnitProgress.READ,
}
STEP_OF_KIND = {"task": UnitProgress.TASK, "reflection": UnitProgress.REFLECTED}
FUNNEL_FIELD = {
    UnitProgress.OPENED: "opened",
    UnitProgress.READ: "read",
    UnitProgress.TASK: "tasked",
    UnitProgress.REFLECTED: "reflected",
}
TALLY_OF_VERB = {
    records.LOGGED_IN.iri: WeekTally.What.SIGNED_IN,
    records.SHARED.iri: WeekTally.What.SHARED,
    records.COMMENTED.iri: WeekTally.What.FEEDBACK,
    records.LIKED.iri: WeekTally.What.REACTED,
}


class Active(NamedTuple):
    """The participant completed an activity of `kind` in program `week`."""

    kind: str
    week: int
    moment: dt.datetime


class Step(NamedTuple):
    unit_id: int
    bit: int


class Answer(NamedTuple):
    activity_id: int
    choice: int


class Tally(NamedTuple):
    week: int
    what: str


class Shared(NamedTuple):
    """A reflection was shared: counted once per reflection, in the week it was first shared."""

    week: int
    activity_id: int | None
    moment: dt.datetime


def effects(
    *,
    verb: str,
    kind: str,
    unit_id: int | None,
    activity_id: int | None,
    week: int,
    moment: dt.datetime,
    response: str = "",
) -> list:
    """What one record changes; `kind` is its activity's kind, `week` its program week."""
    found: list = []
    if verb in COMPLETIONS and kind:
        found.append(Active(kind, week, moment))
        if kind in STEP_OF_KIND and unit_id:
            found.append(Step(unit_id, STEP_OF_KIND[kind]))
        if kind == "poll" and activity_id and response:
            found += [Answer(activity_id, int(c)) for c in response.split(records.SEPARATOR)]
    elif verb in STEP_OF_VERB and unit_id:
        found.append(Step(unit_id, STEP_OF_VERB[verb]))
    elif verb == records.SHARED.iri and week >= 1:
        found.append(Shared(week, activity_id, moment))
    elif verb in TALLY_OF_VERB and week >= 1:
        found.append(Tally(week, TALLY_OF_VERB[verb]))
    return found


def week_bit(week: int) -> int:
    """The bit of a program week in the `*_weeks` masks; 0 outside weeks 1 to 63."""
    return 1 << (week - 1) if 1 <= week <= MAX_WEEKS else 0


class Weeks:
    """The program's week openings, to find the week of many moments quickly."""

    def __init__(self, program, count: int = MAX_WEEKS + 1):
        # As seconds: comparing numbers is much quicker than datetimes in different zones.
        self.openings = [program.opens_at(n).timestamp() for n in range(1, count + 1)]

    def of(self, moment: dt.datetime) -> int:
        """0 before the start, then 1, 2, …: as `Program.week_at`."""
        return bisect.bisect_right(self.openings, moment.timestamp())


# Live: a record's effects as single-row upserts ---------------------------------------------


def apply(found: list, *, program_id: int, enrollment_id: int | None) -> None:
    """Make a record's effects in the database (inside the record's transaction).

    Each change is one INSERT … ON CONFLICT DO UPDATE, the same SQL on SQLite and PostgreSQL:
    one statement whether or not the row exists yet, and safe against concurrent requests.
    """
    for effect in found:
        if isinstance(effect, Active) and enrollment_id:
            _active(effect, program_id, enrollment_id)
        elif isinstance(effect, Step) and enrollment_id:
            new = sql.upsert(
                UnitProgress,
                {"enrollment_id": enrollment_id, "unit_id": effect.unit_id},
                {"steps": effect.bit},
                {"steps": "{t}.steps | excluded.steps"},
                only_if="({t}.steps & excluded.steps) = 0",
            )
            if new:  # a step this participant had not taken in this unit before
                name = FUNNEL_FIELD[effect.bit]
                counts = dict.fromkeys(FUNNEL_FIELD.values(), 0) | {name: 1}
                sql.upsert(
                    UnitFunnel, {"unit_id": effect.unit_id}, counts, {name: f"{{t}}.{name} + 1"}
                )
        elif isinstance(effect, Answer):
            key = {"activity_id": effect.activity_id, "choice": effect.choice}
            sql.upsert(AnswerCount, key, {"count": 1}, {"count": "{t}.count + 1"})
        elif isinstance(effect, Shared):
            if enrollment_id and effect.activity_id and _shared_before(enrollment_id, effect):
                continue  # shared again, or with another audience: the same reflection
            key = {"program_id": program_id, "week": effect.week, "what": WeekTally.What.SHARED}
            sql.upsert(WeekTally, key, {"count": 1}, {"count": "{t}.count + 1"})
        elif isinstance(effect, Tally):
            key = {"program_id": program_id, "week": effect.week, "what": effect.what}
            sql.upsert(WeekTally, key, {"count": 1}, {"count": "{t}.count + 1"})


def _shared_before(enrollment_id: int, effect: Shared) -> bool:
    """Whether the reflection has a shared statement besides the one just appended."""
    earlier = LearningRecord.objects.filter(
        enrollment_id=enrollment_id, activity_id=effect.activity_id, verb=records.SHARED.iri
    )
    return len(earlier.values_list("pk", flat=True)[:2]) > 1


def _active(effect: Active, program_id: int, enrollment_id: int) -> None:
    values = {"program_id": program_id, "done": 1, "last_done_at": effect.moment}
    values |= {f"{kind}_weeks": 0 for kind in KINDS}
    changes = {
        "done": "{t}.done + 1",
        "last_done_at": "CASE WHEN {t}.last_done_at IS NULL"
        " OR {t}.last_done_at < excluded.last_done_at"
        " THEN excluded.last_done_at ELSE {t}.last_done_at END",
    }
    bit = week_bit(effect.week)
    if bit:
        name = f"{effect.kind}_weeks"
        values[name] = bit
        changes[name] = f"{{t}}.{name} | excluded.{name}"
    sql.upsert(Engagement, {"enrollment_id": enrollment_id}, values, changes)


# Rebuilt: every record's effects gathered in memory ------------------------------------------


@dataclass
class Person:
    weeks: Counter = field(default_factory=Counter)  # kind -> mask
    done: int = 0
    last: dt.datetime | None = None


@dataclass
class Fold:
    """The rollups of one program, gathered from its records in memory."""

    people: dict[int, Person] = field(default_factory=lambda: defaultdict(Person))
    steps: Counter = field(default_factory=Counter)  # (enrollment, unit) -> bits
    answers: Counter = field(default_factory=Counter)  # (activity, choice) -> count
    tallies: Counter = field(default_factory=Counter)  # (week, what) -> count
    shared: dict = field(default_factory=dict)  # (enrollment, activity) -> first Shared

    def add(self, found: list, enrollment_id: int | None) -> None:
        for effect in found:
            if isinstance(effect, Active) and enrollment_id:
                person = self.people[enrollment_id]
                person.weeks[effect.kind] |= week_bit(effect.week)
                person.done += 1
                if person.last is None or effect.moment > person.last:
                    person.last = effect.moment
            elif isinstance(effect, Step) and enrollment_id:
                self.steps[enrollment_id, effect.unit_id] |= effect.bit
            elif isinstance(effect, Answer):
                self.answers[effect.activity_id, effect.choice] += 1
            elif isinstance(effect, Shared):
                self._shared(effect, enrollment_id)
            elif isinstance(effect, Tally):
                self.tallies[effect.week, effect.what] += 1

    def _shared(self, effect: Shared, enrollment_id: int | None) -> None:
        """Count each reflection once, in the week of its earliest shared statement."""
        what = WeekTally.What.SHARED
        if not (enrollment_id and effect.activity_id):  # its writer erased: cannot tell
            self.tallies[effect.week, what] += 1
            return
        key = (enrollment_id, effect.activity_id)
        first = self.shared.get(key)
        if first is not None and first.moment <= effect.moment:
            return
        if first is not None:
            self.tallies[first.week, what] -= 1
        self.shared[key] = effect
        self.tallies[effect.week, what] += 1

    def funnels(self) -> dict[int, Counter]:
        counts: dict[int, Counter] = defaultdict(Counter)
        for (_, unit_id), bits in self.steps.items():
            for bit, name in FUNNEL_FIELD.items():
                if bits & bit:
                    counts[unit_id][name] += 1
        return counts
