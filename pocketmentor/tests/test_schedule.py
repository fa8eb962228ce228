"""The periodic jobs (lib/schedule.py): each at its interval, a failure alone, outages whole."""

import datetime as dt
import logging

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from pocketmentor.lib import schedule
from pocketmentor.lib.schedule import Job, Schedule, periodic

START = dt.datetime(2026, 3, 16, 6, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


class Calls:
    """Jobs that note when they ran; `broken` ones raise instead."""

    def __init__(self):
        self.ran: list[tuple[str, dt.datetime]] = []

    def job(self, name: str, every: dt.timedelta, error: Exception | None = None) -> Job:
        def run(now: dt.datetime) -> None:
            self.ran.append((name, now))
            if error is not None:
                raise error

        return Job(name=name, every=every, function=run)

    def names(self) -> list[str]:
        return [name for name, _ in self.ran]


def run_at(plan: Schedule, moment: dt.datetime, **kwargs) -> list[str]:
    with time_machine.travel(moment, tick=False):
        return plan.run_due(timezone.now(), **kwargs)


def test_a_job_runs_at_once_then_only_when_its_interval_has_passed():
    calls = Calls()
    plan = Schedule([calls.job("every five", 5 * MINUTE)])
    for seconds in (0, 60, 299):
        run_at(plan, START + dt.timedelta(seconds=seconds))
    assert calls.ran == [("every five", START)]
    run_at(plan, START + 5 * MINUTE)
    run_at(plan, START + 6 * MINUTE)
    assert calls.ran == [("every five", START), ("every five", START + 5 * MINUTE)]


def test_jobs_of_different_intervals_keep_their_own_pace_over_an_hour():
    calls = Calls()
    plan = Schedule([calls.job("minute", MINUTE), calls.job("hour", 60 * MINUTE)])
    for minute in range(61):  # a worker's rounds, each minute from 06:00 to 07:00
        run_at(plan, START + minute * MINUTE)
    assert calls.names().count("minute") == 61
    assert [now for name, now in calls.ran if name == "hour"] == [START, START + 60 * MINUTE]


def test_a_clock_set_back_runs_the_job_again_rather_than_waiting_for_the_old_time():
    calls = Calls()
    plan = Schedule([calls.job("hour", 60 * MINUTE)])
    run_at(plan, START)
    run_at(plan, START - 10 * MINUTE)
    assert [now for _, now in calls.ran] == [START, START - 10 * MINUTE]


def test_everything_runs_every_job_whether_due_or_not():
    calls = Calls()
    plan = Schedule([calls.job("a", 60 * MINUTE), calls.job("b", 60 * MINUTE)])
    run_at(plan, START)
    run_at(plan, START + MINUTE, everything=True)
    assert calls.names() == ["a", "b", "a", "b"]


def test_a_failing_job_is_logged_in_one_line_and_the_others_still_run(caplog):
    calls = Calls()
    plan = Schedule(
        [
            calls.job("first", MINUTE),
            calls.job("broken", 10 * MINUTE, ValueError("no such program\nsecond line")),
            calls.job("last", MINUTE),
        ]
    )
    with caplog.at_level(logging.INFO, logger="pocketmentor.lib.schedule"):
        failed = run_at(plan, START)
    assert failed == ["broken"]
    assert calls.names() == ["first", "broken", "last"]
    [record] = caplog.records
    assert record.levelno == logging.ERROR and not record.exc_info  # a line, no traceback
    assert record.getMessage() == (
        "Periodic job broken failed, ValueError: no such program; trying again in 600s"
    )


def test_a_failed_job_is_tried_again_at_its_interval_not_every_round():
    calls = Calls()
    plan = Schedule([calls.job("broken", 10 * MINUTE, ValueError("still broken"))])
    for minute in range(11):
        run_at(plan, START + minute * MINUTE)
    assert [now for _, now in calls.ran] == [START, START + 10 * MINUTE]


def test_an_outage_fails_the_round_and_the_jobs_not_run_yet_stay_due():
    calls = Calls()
    cut = [True]

    def database(now):
        calls.ran.append(("database", now))
        if cut[0]:
            raise OperationalError("could not connect to server: Connection refused")

    plan = Schedule([Job("database", MINUTE, database), calls.job("after", 60 * MINUTE)])
    with pytest.raises(OperationalError):
        run_at(plan, START)
    assert calls.names() == ["database"]
    cut[0] = False  # the database is back by the next round, ten seconds on
    run_at(plan, START + dt.timedelta(seconds=10))
    assert calls.names() == ["database", "database", "after"]


def test_the_job_met_by_an_outage_is_due_again_in_the_next_round():
    calls = Calls()
    outage = OperationalError("database is locked")
    plan = Schedule([calls.job("hourly", 60 * MINUTE, outage)])
    for seconds in (0, 10):
        with pytest.raises(OperationalError):
            run_at(plan, START + dt.timedelta(seconds=seconds))
    assert len(calls.ran) == 2
    assert "hourly" not in plan.ran_at


def test_periodic_declares_a_job_and_the_same_name_declared_again_replaces_it(monkeypatch):
    monkeypatch.setattr(schedule, "JOBS", {})

    @periodic("test.first", every=MINUTE)
    def first(now):
        return "first"

    @periodic("test.first", every=2 * MINUTE)
    def again(now):
        return "again"

    assert list(schedule.JOBS) == ["test.first"]
    assert schedule.JOBS["test.first"].every == 2 * MINUTE
    assert Schedule().jobs[0].function(START) == "again"
    with pytest.raises(ValueError, match="positive interval"):
        periodic("test.never", every=dt.timedelta(0))


def test_every_app_declares_its_own_jobs_and_no_app_declares_another_apps():
    declared = {name: job.function.__module__ for name, job in schedule.JOBS.items()}
    assert set(declared) >= {
        "accounts.sessions_prune",
        "audit.prune",
        "people.files_prune",
        "programs.removed_purge",
        "insights.figures",
        "insights.forward",
        "nudges.plan",
        "nudges.task_results_prune",
    }
    for name, module in declared.items():
        app = name.split(".")[0]
        assert module == f"pocketmentor.{app}.jobs", (name, module)
