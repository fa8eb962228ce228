"""The fan-out benchmark works: worker processes, a counting SMTP server, every message once."""

import pytest
import time_machine

from pocketmentor.bench.fanout import release_fanout
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
    ]
    assert all(value > 0 for _name, value, _unit in figures[1:])
