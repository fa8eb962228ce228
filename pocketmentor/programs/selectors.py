"""Reads of the studio's pages: what going live would do, and a program's next step."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pocketmentor.orgs.models import Membership
from pocketmentor.programs.models import WEEK, Program, Unit

# How long a deleted card or activity can be brought back; later it is gone for good.
UNDO_WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class FirstRelease:
    """The first "week opens" message going live leads to: week `number` at `at`.

    `off` when the program's rules send no such messages; neither when no week is left whose
    message would still go (they all opened too long ago, or none is ready).
    """

    number: int | None = None
    at: dt.datetime | None = None
    off: bool = False


# Filled by the app that sends the messages (nudges), which this layer never imports:
# {"first_release": finder(program, week numbers published once live, now) -> FirstRelease}.
going_live_hooks: dict[str, Callable[[Program, list[int], dt.datetime], FirstRelease]] = {}


@dataclass(frozen=True)
class Week:
    """A week as going live sees it."""

    unit: Unit
    opens_at: dt.datetime
    problems: list[str] = field(default_factory=list)
    # Whether moving it up or down asks first: it moves a published week's dates in a program
    # participants follow (see move_asks_first).
    asks_up: bool = False
    asks_down: bool = False

    @property
    def published(self) -> bool:
        return self.unit.published_at is not None

    @property
    def ready(self) -> bool:
        """Complete: a title, at least one card and one activity."""
        return not self.problems

    @property
    def will_publish(self) -> bool:
        return not self.published and self.ready


@dataclass(frozen=True)
class GoingLive:
    """What going live does: the weeks it publishes, who is enrolled, the first message."""

    program: Program
    weeks: list[Week]
    enrolled: int
    not_invited: int
    first_release: FirstRelease | None
    now: dt.datetime

    @property
    def to_publish(self) -> list[Week]:
        return [week for week in self.weeks if week.will_publish]

    @property
    def not_ready(self) -> list[Week]:
        return [week for week in self.weeks if not week.published and not week.ready]

    @property
    def seen(self) -> list[Week]:
        """The weeks participants will see once live: published now or by going live."""
        return [week for week in self.weeks if week.published or week.ready]


def weeks_of(program: Program) -> list[Week]:
    """Every week with its opening time and what it lacks, in one query."""
    units = list(
        program.units.annotate(
            card_count=Count("cards", filter=Q(cards__removed_at__isnull=True), distinct=True),
            activity_count=Count(
                "activities", filter=Q(activities__removed_at__isnull=True), distinct=True
            ),
        ).order_by("number")
    )
    return [
        Week(
            unit=unit, opens_at=program.opens_at(unit.number), problems=_problems(unit),
            asks_up=index > 0 and move_asks_first(program, unit, units[index - 1]),
            asks_down=index + 1 < len(units) and move_asks_first(program, unit, units[index + 1]),
        )
        for index, unit in enumerate(units)
    ]  # fmt: skip


def move_asks_first(program: Program, *units: Unit) -> bool:
    """Swapping weeks asks first when it moves a published week's dates under participants."""
    return program.state != Program.State.DRAFT and any(unit.published_at for unit in units)


def _problems(unit: Unit) -> list[str]:
    problems = []
    if not unit.title.strip():
        problems.append(_("no title"))
    if not unit.card_count:  # type: ignore[attr-defined]  # annotated by weeks_of
        problems.append(_("no cards"))
    if not unit.activity_count:  # type: ignore[attr-defined]  # annotated by weeks_of
        problems.append(_("no activities"))
    return problems


def enrolled_count(program: Program) -> int:
    """People taking part: an active enrollment, and able to sign in."""
    return program.enrollments.filter(is_active=True, user__is_active=True).count()


def not_invited_count(program: Program) -> int:
    """People taking part in the program who never had an invitation."""
    return (
        Membership.objects.filter(
            organization_id=program.organization_id,
            role=Membership.Role.PARTICIPANT,
            invited_at__isnull=True,
            user__is_active=True,
            user__enrollments__program=program,
            user__enrollments__is_active=True,
        )
        .distinct()
        .count()
    )


def going_live(program: Program, *, now: dt.datetime | None = None) -> GoingLive:
    now = now or timezone.now()
    weeks = weeks_of(program)
    finder = going_live_hooks.get("first_release")
    numbers = [week.unit.number for week in weeks if week.published or week.ready]
    return GoingLive(
        program=program,
        weeks=weeks,
        enrolled=enrolled_count(program),
        not_invited=not_invited_count(program),
        first_release=finder(program, numbers, now) if finder else None,
        now=now,
    )


@dataclass(frozen=True)
class NextStep:
    """The one thing to do next on a program's page: a sentence and a button."""

    key: str  # write, finish, people, go_live, invite, publish, follow, results
    sentence: str
    label: str
    week: Week | None = None


def next_step(
    program: Program, weeks: list[Week], *, enrolled: int, not_invited: int, is_admin: bool
) -> NextStep:
    """The program's next step, in the order a first cohort meets them: write the weeks,
    bring people in, go live, invite them, then follow the figures."""
    if program.state == Program.State.FINISHED:
        return NextStep(
            "results",
            _("The program is finished. Its figures stay; a new cohort starts from a copy."),
            _("See the engagement"),
        )
    if not weeks:
        return NextStep(
            "write",
            _("Start with week 1: a few cards to read and an activity to do."),
            _("Write week 1"),
        )
    if program.state == Program.State.DRAFT:
        if not any(week.ready or week.published for week in weeks):
            return NextStep(
                "finish",
                _(
                    "Week %(number)s is not ready yet (%(missing)s): finish it, and going "
                    "live publishes it."
                )
                % {"number": weeks[0].unit.number, "missing": ", ".join(weeks[0].problems)},
                _("Finish week %(number)s") % {"number": weeks[0].unit.number},
                weeks[0],
            )
        if not enrolled:
            return NextStep(
                "people",
                _("The weeks are written. Bring the participants in from a spreadsheet.")
                if is_admin
                else _("The weeks are written. An admin brings the participants in."),
                _("Import participants"),
            )
        return NextStep(
            "go_live",
            _("See what going live will do: the weeks it publishes, when each opens, who is told."),
            _("Go live"),
        )
    if not_invited and is_admin:
        return NextStep(
            "invite",
            ngettext(
                "%(count)s participant has not had an invitation to sign in yet.",
                "%(count)s participants have not had an invitation to sign in yet.",
                not_invited,
            )
            % {"count": not_invited},
            _("Invite them"),
        )
    now = timezone.now()
    late = next(
        (w for w in weeks if not w.published and now - WEEK < w.opens_at <= now + WEEK), None
    )
    if late is not None:
        return NextStep(
            "publish" if late.ready else "finish",
            _("Week %(number)s opens soon and is not published: participants will not see it.")
            % {"number": late.unit.number},
            _("Open week %(number)s") % {"number": late.unit.number},
            late,
        )
    return NextStep(
        "follow",
        _("The program is live. Follow who is active each week, and remind those who are not."),
        _("Follow the engagement"),
    )


def undoable(queryset, *, now: dt.datetime | None = None):
    """Items removed within the undo window: they can still be brought back."""
    now = now or timezone.now()
    return queryset.filter(removed_at__gt=now - UNDO_WINDOW)
