"""Where one week ends and the next begins: answers, deactivations, final weeks, at risk.

A program week opens at the release time on the local wall clock (Europe/Oslo here), so the
boundaries move against UTC when summer time starts (29 March 2026) and ends (25 October).
"""

import datetime as dt

import pytest
import time_machine

from pocketmentor.conftest import OSLO, make_person, make_program, make_unit
from pocketmentor.insights import rollups, selectors, services
from pocketmentor.insights.models import MAX_WEEKS, Engagement, ProgramInsight
from pocketmentor.insights.tests.conftest import act, activity, at
from pocketmentor.learning.models import Enrollment
from pocketmentor.programs.models import Program

UTC = dt.UTC
SECOND = dt.timedelta(seconds=1)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=OSLO)


def midnight_program(org, *, start: dt.date, weeks: int = 5) -> Program:
    """Weeks that open at 00:00 on Monday, local time: Sunday 23:59:59 is the last second."""
    program = Program.objects.create(
        organization=org,
        title="Midnight",
        slug=f"midnight-{start:%m}",
        start_date=start,
        state="live",
        release_time=dt.time(0, 0),
    )
    for number in range(1, weeks + 1):
        make_unit(program, number)
    return program


def participant(org, program, name: str, *, enrolled_at: dt.datetime) -> Enrollment:
    user = make_person(f"{name}@fjordvik.example", org=org, role="participant")
    return Enrollment.objects.create(user=user, program=program, enrolled_at=enrolled_at)


def rates(program, now: dt.datetime) -> dict[int, tuple[int, int]]:
    """Week: (active, enrolled), as the dashboard reads them at `now`."""
    with time_machine.travel(now, tick=False):
        services.figures_current(program=program)
    return {p.week: (p.active, p.enrolled) for p in selectors.weekly(program=program)}


def refreshed_at(program, moment: dt.datetime) -> None:
    """The worker's refresh at `moment`: it notices who was deactivated since the last."""
    with time_machine.travel(moment, tick=False):
        services.figures_refresh(program=program)


# Answers either side of the boundary -----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "sunday", "week", "utc_of_midnight"),
    [
        # Summer time starts that Sunday at 02:00: Monday's midnight is 22:00 UTC, not 23:00.
        (dt.date(2026, 3, 2), dt.date(2026, 3, 29), 4, dt.datetime(2026, 3, 29, 22, tzinfo=UTC)),
        # Summer time ends that Sunday at 03:00: Monday's midnight is 23:00 UTC, not 22:00.
        (dt.date(2026, 10, 5), dt.date(2026, 10, 25), 3, dt.datetime(2026, 10, 25, 23, tzinfo=UTC)),
    ],
    ids=["summer-time-starts", "summer-time-ends"],
)
def test_an_answer_at_23_59_59_on_sunday_counts_in_the_week_ending_and_one_at_midnight_in_the_next(
    org, start, sunday, week, utc_of_midnight
):
    program = midnight_program(org, start=start)
    before = dt.datetime.combine(start, dt.time(0), tzinfo=OSLO) - dt.timedelta(days=1)
    late = participant(org, program, "late", enrolled_at=before)
    early = participant(org, program, "early", enrolled_at=before)
    last_second = dt.datetime.combine(sunday, dt.time(23, 59, 59), tzinfo=OSLO)
    monday = last_second + SECOND
    assert monday.astimezone(UTC) == utc_of_midnight == program.opens_at(week + 1)

    act(late, activity(program, week, "reflection"), last_second)
    act(early, activity(program, week, "task"), monday)  # the same unit, answered late

    assert Engagement.objects.get(pk=late.pk).reflection_weeks == rollups.week_bit(week)
    assert Engagement.objects.get(pk=early.pk).task_weeks == rollups.week_bit(week + 1)
    figures = rates(program, monday + dt.timedelta(days=2))
    assert figures[week] == (1, 2) and figures[week + 1] == (1, 2)


def test_answers_in_the_hour_summer_time_repeats_stay_in_their_week(org):
    program = midnight_program(org, start=dt.date(2026, 10, 5))
    person = participant(org, program, "night", enrolled_at=local(2026, 10, 1))
    # 02:30 comes twice on 25 October 2026: first in summer time (00:30 UTC), then 01:30 UTC.
    first, second = (dt.datetime(2026, 10, 25, h, 30, tzinfo=UTC) for h in (0, 1))
    assert {m.astimezone(OSLO).strftime("%H:%M") for m in (first, second)} == {"02:30"}
    act(person, activity(program, 3, "reflection"), first)
    act(person, activity(program, 3, "task"), second)
    engagement = Engagement.objects.get(pk=person.pk)
    assert engagement.reflection_weeks == engagement.task_weeks == rollups.week_bit(3)
    assert engagement.done == 2 and engagement.last_done_at == second


@pytest.mark.parametrize("release", [dt.time(0, 0), dt.time(7, 30), dt.time(23, 45)])
@pytest.mark.parametrize("start", [dt.date(2026, 3, 2), dt.date(2026, 10, 5)])
def test_the_rollups_and_the_program_agree_on_the_week_of_every_moment_around_a_change(
    start, release
):
    program = Program(start_date=start, release_time=release, time_zone="Europe/Oslo")
    weeks = rollups.Weeks(program, count=8)
    sunday = start + dt.timedelta(days=27 if start.month == 3 else 20)
    moment = dt.datetime.combine(sunday, dt.time(0), tzinfo=OSLO)
    while moment < dt.datetime.combine(sunday + dt.timedelta(days=2), dt.time(0), tzinfo=OSLO):
        assert weeks.of(moment) == program.week_at(moment), moment
        moment += dt.timedelta(minutes=15)
    for number in range(1, 7):  # and to the second at each opening
        opening = program.opens_at(number)
        assert weeks.of(opening - SECOND) == program.week_at(opening - SECOND) == number - 1
        assert weeks.of(opening) == program.week_at(opening) == number


def test_answers_before_the_start_or_past_the_last_week_count_in_no_week():
    assert rollups.week_bit(0) == 0
    assert rollups.week_bit(1) == 1 and rollups.week_bit(MAX_WEEKS) == 1 << (MAX_WEEKS - 1)
    assert rollups.week_bit(MAX_WEEKS + 1) == 0


# Deactivation timing ----------------------------------------------------------------------


@pytest.fixture
def leavers(org):
    """Four participants of a four-week program (weeks open on Mondays at 07:30 in Oslo).

    stays: active in week 1, then quiet; never leaves.
    before: active in weeks 1 and 2, deactivated on Sunday evening of week 2.
    opening: active in week 2, deactivated the second week 3 opens.
    after: active in weeks 2 and 3, deactivated on Monday of week 4, after week 3 ended.
    The worker refreshes the figures a minute after each deactivation, as it does.
    """
    program = make_program(org, slug="leavers", weeks=4)
    people = {
        name: participant(org, program, name, enrolled_at=at(1) - dt.timedelta(days=3))
        for name in ("stays", "before", "opening", "after")
    }
    for name, week in [("stays", 1), ("before", 1), ("before", 2), ("opening", 2), ("after", 2)]:
        act(people[name], activity(program, week, "task"), at(week, 2))
    act(people["after"], activity(program, 3, "task"), at(3, 7, hour=23))
    for name, moment in [
        ("before", at(2, 7, hour=20)),
        ("opening", program.opens_at(3)),
        ("after", at(4, 1, hour=9)),
    ]:
        with time_machine.travel(moment, tick=False):
            Enrollment.objects.filter(pk=people[name].pk).update(is_active=False)
        refreshed_at(program, moment + dt.timedelta(minutes=1))
    return program, people


def test_the_active_rate_excludes_who_left_before_the_week_and_includes_who_left_after_it(
    leavers,
):
    program, _ = leavers
    figures = rates(program, at(4, 3))
    assert figures[1] == (2, 4)  # everyone enrolled; stays and before were active
    # before left during week 2: from that week on it is not counted, though it was active.
    assert figures[2] == (2, 3)
    assert figures[3] == (1, 2)  # before and opening had left; after was active, stays not
    assert figures[4] == (0, 1)  # after left in week 4: only stays is counted


def test_the_week_someone_left_in_is_the_week_the_refresh_noticed_it(leavers):
    program, people = leavers
    weeks = rollups.Weeks(program)
    left = {name: Engagement.objects.get(pk=e.pk).left_at for name, e in people.items()}
    assert left["stays"] is None
    assert [weeks.of(left[name]) for name in ("before", "opening", "after")] == [2, 3, 4]


def test_a_deactivation_the_refresh_only_notices_after_the_week_opened_counts_from_that_week(org):
    program = make_program(org, slug="noticed", weeks=3)
    person = participant(org, program, "quiet", enrolled_at=at(1) - dt.timedelta(days=3))
    refreshed_at(program, at(1, 7, hour=23))
    with time_machine.travel(at(1, 7, hour=23), tick=False):  # deactivated on Sunday night
        Enrollment.objects.filter(pk=person.pk).update(is_active=False)
    refreshed_at(program, at(2, 1, hour=8))  # no worker ran until week 2 had opened
    assert rates(program, at(2, 3)) == {1: (0, 1), 2: (0, 0)}


def test_deactivated_participants_are_never_listed_at_risk(leavers):
    program, people = leavers
    with time_machine.travel(at(4, 7), tick=False):
        quiet = {e.pk for e in selectors.at_risk(program=program)}
    assert quiet == {people["stays"].pk}


# Final weeks and the headline ---------------------------------------------------------------


def test_a_week_becomes_final_the_second_the_next_week_opens(org):
    program = make_program(org, slug="final", weeks=3)
    refreshed_at(program, program.opens_at(2) - SECOND)
    assert ProgramInsight.objects.get(program=program).final_week == 0
    refreshed_at(program, program.opens_at(2))
    assert ProgramInsight.objects.get(program=program).final_week == 1


def test_a_fresh_figure_is_refreshed_anyway_when_a_new_week_has_opened_since(org):
    program = make_program(org, slug="fresh", weeks=3)
    refreshed_at(program, program.opens_at(2) - 10 * SECOND)
    with time_machine.travel(program.opens_at(2) + 10 * SECOND, tick=False):
        state = services.figures_current(program=program)  # 20 s later, but in week 2
    assert state.refreshed_at == program.opens_at(2) + 10 * SECOND
    assert [p.week for p in selectors.weekly(program=program)] == [1, 2]


def test_the_headline_counts_days_on_the_wall_clock_across_the_change_to_summer_time(org):
    program = make_program(org, slug="headline", weeks=6)
    # Week 4 opened Monday 23 March 07:30 CET; the Sunday of the change has 23 hours.
    cases = [
        (local(2026, 3, 29, 23, 59), 4, 7),
        (local(2026, 3, 30, 7, 29), 4, 7),
        (local(2026, 3, 30, 7, 30), 5, 1),
        (local(2026, 3, 31, 7, 29), 5, 1),
        (local(2026, 3, 31, 7, 30), 5, 2),
    ]
    for moment, week, day in cases:
        with time_machine.travel(moment, tick=False):
            services.figures_current(program=program)
            points = selectors.weekly(program=program)
            headline = selectors.headline(program=program, points=points)
        assert (headline.this.week, headline.day, headline.running) == (week, day, True), moment


# At risk: two weeks without activity, to the second -----------------------------------------


def test_quiet_for_exactly_two_weeks_is_not_yet_at_risk_and_a_second_more_is(org):
    program = make_program(org, slug="risk", weeks=4)
    person = participant(org, program, "once", enrolled_at=at(1) - dt.timedelta(days=3))
    answered = at(1, 2, hour=10)
    act(person, activity(program, 1, "task"), answered)
    two_weeks = answered + selectors.AT_RISK_AFTER
    assert selectors.at_risk(program=program, now=two_weeks).paginator.count == 0
    assert [e.pk for e in selectors.at_risk(program=program, now=two_weeks + SECOND)] == [person.pk]


def test_someone_who_never_answered_is_at_risk_two_weeks_after_enrolling_not_before(org):
    program = make_program(org, slug="never", weeks=4)
    enrolled = at(1, 3, hour=9)
    person = participant(org, program, "never", enrolled_at=enrolled)
    refreshed_at(program, enrolled)  # gives the enrollment its engagement row
    two_weeks = enrolled + selectors.AT_RISK_AFTER
    assert selectors.at_risk(program=program, now=two_weeks).paginator.count == 0
    assert [e.pk for e in selectors.at_risk(program=program, now=two_weeks + SECOND)] == [person.pk]


def test_the_longest_quiet_come_first_on_the_at_risk_list(org):
    program = make_program(org, slug="order", weeks=4)
    for name, day in [("tuesday", 2), ("never", None), ("monday", 1)]:
        person = participant(org, program, name, enrolled_at=at(1) - dt.timedelta(days=3))
        if day:
            act(person, activity(program, 1, "task"), at(1, day))
    refreshed_at(program, at(1, 7))
    with time_machine.travel(at(4, 3), tick=False):
        listed = [e.enrollment.user.email.split("@")[0] for e in selectors.at_risk(program=program)]
    assert listed == ["never", "monday", "tuesday"]


# The dashboard's reminder: once a day per person, to the second -----------------------------


def test_a_second_reminder_waits_a_full_day_and_counts_across_the_persons_programs(
    org, django_capture_on_commit_callbacks
):
    first_program = make_program(org, slug="first", weeks=3)
    second_program = make_program(org, slug="second", weeks=3)
    person = participant(org, first_program, "busy", enrolled_at=at(1))
    other = Enrollment.objects.create(user=person.user, program=second_program, enrolled_at=at(1))
    sent = at(2, 2, hour=10)
    with time_machine.travel(sent, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.reminder_send(enrollment=person)
    almost = sent + services.REMIND_PAUSE - SECOND
    with time_machine.travel(almost, tick=False), pytest.raises(services.ReminderRefused):
        services.reminder_send(enrollment=other)  # another program, the same person
    a_day_later = sent + services.REMIND_PAUSE
    with (
        time_machine.travel(a_day_later, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.reminder_send(enrollment=other)
    assert Engagement.objects.get(pk=other.pk).reminded_at == a_day_later
    assert Engagement.objects.get(pk=person.pk).reminded_at == sent


# Enrolling at the boundary, coming back, and how fresh the figures are ----------------------


def test_enrolled_a_second_before_a_week_opens_counts_in_the_week_ending_and_at_the_opening_not(
    org,
):
    program = make_program(org, slug="joiners", weeks=3)
    opening = program.opens_at(2)
    participant(org, program, "before", enrolled_at=opening - SECOND)
    participant(org, program, "at", enrolled_at=opening)
    assert rates(program, at(2, 3)) == {1: (0, 1), 2: (0, 2)}


def test_someone_deactivated_and_back_within_the_week_is_counted_in_it(org):
    program = make_program(org, slug="back", weeks=3)
    person = participant(org, program, "back", enrolled_at=at(1) - dt.timedelta(days=3))
    act(person, activity(program, 2, "task"), at(2, 1, hour=9))
    for moment, active in [(at(2, 2), False), (at(2, 4), True)]:
        with time_machine.travel(moment, tick=False):
            Enrollment.objects.filter(pk=person.pk).update(is_active=active)
        refreshed_at(program, moment + dt.timedelta(minutes=1))
        left = Engagement.objects.get(pk=person.pk).left_at
        assert (left is None) == active
    assert rates(program, at(2, 5)) == {1: (0, 1), 2: (1, 1)}


def test_a_deactivation_undone_before_any_refresh_is_never_noticed(org):
    program = make_program(org, slug="unnoticed", weeks=3)
    person = participant(org, program, "blink", enrolled_at=at(1) - dt.timedelta(days=3))
    refreshed_at(program, at(2, 1))
    Enrollment.objects.filter(pk=person.pk).update(is_active=False)
    Enrollment.objects.filter(pk=person.pk).update(is_active=True)
    refreshed_at(program, at(2, 2))
    assert Engagement.objects.get(pk=person.pk).left_at is None
    assert rates(program, at(2, 3)) == {1: (0, 1), 2: (0, 1)}


def test_figures_less_than_a_minute_old_are_served_as_they_are_and_a_minute_old_are_redone(org):
    program = make_program(org, slug="fresh-minute", weeks=3)
    made = at(2, 3)
    refreshed_at(program, made)
    minute = dt.timedelta(seconds=services.REFRESH_SECONDS)
    with time_machine.travel(made + minute - SECOND, tick=False):
        assert services.figures_current(program=program).refreshed_at == made
    with time_machine.travel(made + minute, tick=False):
        assert services.figures_current(program=program).refreshed_at == made + minute


def test_a_person_enrolled_after_the_last_refresh_appears_at_the_next_one(org):
    program = make_program(org, slug="newcomer", weeks=3)
    refreshed_at(program, at(2, 2))
    participant(org, program, "new", enrolled_at=at(2, 2) + 10 * SECOND)
    assert rates(program, at(2, 2) + 30 * SECOND) == {1: (0, 0), 2: (0, 0)}  # kept a minute
    assert rates(program, at(2, 2) + 60 * SECOND) == {1: (0, 0), 2: (0, 1)}
