"""The fan-out benchmark works: worker processes, a counting SMTP server, every message once."""

import pytest
import time_machine

from pocketmentor.bench.fanout import killed_workers, release_fanout
from pocketmentor.nudges.tests.conftest import on_postgresql


@on_postgresql  # the worker processes open the test database, which SQLite keeps in memory
@pytest.mark.django_db(transaction=True)
def test_the_release_fanout_reaches_every_participant_once():
    real_now = time_machine.escape_hatch.time.time()
    with time_machine.travel(real_now, tick=True):  # the worker processes run on the real clock
        figures = release_fanout(participants=30, workers=2)
    names = [name for name, _value, _unit in figures]
    assert names == [
        "fanout.release.plan_seconds",
        "fanout.release.seconds",
        "fanout.release.messages_per_second",
        "fanout.release.worker_cpu_seconds",
        "fanout.release.worker_cpu_ms_per_message",
        "fanout.release.sink_cpu_seconds",
        "fanout.release.loadavg",
    ]
    # The workers' CPU time is read from the finished processes: they did start and work.
    assert all(value > 0 for _name, value, _unit in figures[1:6])


@on_postgresql  # the worker processes open the test database, which SQLite keeps in memory
@pytest.mark.django_db(transaction=True)
def test_workers_killed_mid_batch_leave_every_message_sent_and_the_dead_ones_sent_after_the_lease():
    real_now = time_machine.escape_hatch.time.time()
    with time_machine.travel(real_now, tick=True):  # the worker processes run on the real clock
        figures = dict(
            (name, value)
            for name, value, _unit in killed_workers(participants=120, kills=2, lease_seconds=3)
        )
    # Every participant got the message (checked inside); a copy is possible only for what the
    # server accepted in the moment before the kill and was not yet recorded: at most one group
    # (the bench's batches of 20) a kill.
    assert figures["fanout.kill.duplicates_per_1000"] <= 2 * 20 * 1000 / 120
    assert figures["fanout.kill.lease_seconds"] == 3
    assert figures["fanout.kill.orphaned"] > 0  # killed holding a claim
    assert figures["fanout.kill.recovery_seconds"] >= 3  # taken back once the lease ran out
