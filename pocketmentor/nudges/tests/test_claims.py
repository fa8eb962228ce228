"""Claims: two workers never take the same row; a dead worker's rows are taken back once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pocketmentor.nudges import dispatch
from pocketmentor.nudges.models import Nudge
from pocketmentor.nudges.planning import plan
from pocketmentor.nudges.tests.conftest import at, local, on_postgresql, on_sqlite


def due_rows(program, people, n):
    now = timezone.now()
    return Nudge.objects.bulk_create(
        Nudge(
            kind="release", key=f"test:{i}", person=people[i % len(people)], program=program,
            unit=program.units.get(number=2), due_at=now, stale_at=now + dt.timedelta(days=1),
            next_attempt_at=now - dt.timedelta(seconds=i),
        )
        for i in range(n)
    )  # fmt: skip


def claimed(token):
    return set(Nudge.objects.filter(claimed_by=token).values_list("pk", flat=True))


@on_sqlite
def test_on_sqlite_one_update_claims_and_claims_never_overlap(ann, program):
    due_rows(program, [ann], 5)
    with CaptureQueriesContext(connection) as queries:
        first = dispatch.claim(limit=3)
    [statement] = [q["sql"] for q in queries]
    assert statement.startswith("UPDATE") and "IN (SELECT" in statement and "LIMIT 3" in statement
    second = dispatch.claim(limit=3)
    assert len(claimed(first)) == 3 and len(claimed(second)) == 2
    assert not claimed(first) & claimed(second)
    assert dispatch.claim(limit=3) is None


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_claim_skips_rows_another_worker_has_locked(ann, program):
    rows = due_rows(program, [ann], 3)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(Nudge.objects.select_for_update().filter(pk__in=[rows[0].pk, rows[1].pk]))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting would fail, not hang
        token = dispatch.claim(limit=10)
        assert claimed(token) == {rows[2].pk}
    finally:
        release.set()
        thread.join()


def test_a_dead_workers_claim_is_taken_back_when_its_lease_ends_and_sent_once(
    ann, bob, program, inbox, worker
):
    with at(local(2026, 3, 23, 7, 30, 5)):
        plan()
        abandoned = dispatch.claim(limit=10)  # then the worker dies
        worker.run_until_idle()
    assert inbox.messages == []  # the lease still holds
    assert Nudge.objects.filter(state="claimed").count() == 2
    with at(local(2026, 3, 23, 7, 40, 6)):  # ten minutes later, well past the lease
        worker.run_until_idle()
        dispatch.deliver(abandoned)  # the old worker wakes up: its claim is gone
    assert sorted(m["To"] for m in inbox.messages) == [
        "ann@fjordvik.example",
        "bob@fjordvik.example",
    ]
    assert set(Nudge.objects.values_list("state", flat=True)) == {"sent"}


def test_planning_twice_or_from_two_workers_creates_nothing_twice(ann, bob, program):
    with at(local(2026, 3, 23, 7, 0)):
        assert plan() == 2
        assert plan() == 0
    assert Nudge.objects.count() == 2


def test_a_claim_that_beats_keeps_its_rows_and_one_that_stops_loses_them_a_lease_later(
    ann, program, settings
):
    settings.NUDGES_LEASE_SECONDS = 90
    due_rows(program, [ann], 3)
    with time_machine.travel(local(2026, 3, 23, 8, 0), tick=False) as clock:
        token = dispatch.claim(limit=10)
        clock.shift(80)  # the batch is still sending
        dispatch.claim_renew(token=token, now=timezone.now())
        clock.shift(60)  # past the first lease, within the renewed one
        assert dispatch.claim(limit=10) is None
        clock.shift(31)  # the worker died after its last beat: a lease later, they are due
        taken = dispatch.claim(limit=10)
    assert len(claimed(taken)) == 3 and not claimed(token)
