"""When a message may arrive: working hours and days in a person's zone, across DST."""

import datetime as dt
from zoneinfo import ZoneInfo

from pocketmentor.nudges.models import NudgeRules
from pocketmentor.nudges.rules import next_allowed, weekly_moment
from pocketmentor.nudges.tests.conftest import local

OSLO = ZoneInfo("Europe/Oslo")


def rules(**fields) -> NudgeRules:
    return NudgeRules(**fields)


def test_inside_the_window_a_moment_stays():
    moment = local(2026, 3, 25, 12, 0)
    assert next_allowed(moment, rules(), OSLO) == moment


def test_before_the_day_starts_it_waits_for_the_start():
    assert next_allowed(local(2026, 3, 25, 6, 0), rules(), OSLO) == local(2026, 3, 25, 7, 0)


def test_after_the_day_ends_and_at_the_weekend_it_waits_for_monday():
    friday_evening = local(2026, 3, 27, 20, 0)
    # The clocks go forward on Sunday 29 March: Monday 07:00 is 05:00 UTC, not 06:00.
    assert next_allowed(friday_evening, rules(), OSLO) == dt.datetime(
        2026, 3, 30, 5, 0, tzinfo=dt.UTC
    )


def test_midnight_as_the_end_means_the_whole_evening():
    late = local(2026, 3, 25, 23, 30)
    assert next_allowed(late, rules(day_ends=dt.time(0, 0)), OSLO) == late
    every_day = rules(day_starts=dt.time(0, 0), day_ends=dt.time(0, 0), working_days="1234567")
    assert next_allowed(local(2026, 3, 29, 3, 30), every_day, OSLO) == local(2026, 3, 29, 3, 30)


def test_the_window_is_the_persons_own_local_time():
    new_york = ZoneInfo("America/New_York")
    oslo_morning = local(2026, 3, 23, 7, 30)  # 02:30 in New York
    assert next_allowed(oslo_morning, rules(), new_york) == dt.datetime(
        2026, 3, 23, 7, 0, tzinfo=new_york
    )


def test_a_weekly_moment_keeps_the_wall_clock_across_the_change():
    week5 = local(2026, 3, 30, 7, 30)
    assert weekly_moment(week5, 3, dt.time(12, 0), OSLO) == local(2026, 4, 1, 12, 0)
    assert weekly_moment(week5, 1, dt.time(7, 0), OSLO) == local(2026, 4, 6, 7, 0)
