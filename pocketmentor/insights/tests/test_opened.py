"""A unit's first view in a day: recorded once, noted in Redis and written by the worker when
Redis is set (learning/tracking.py, `services.opened_flush`), written during the view when not."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import cache, caches

from pocketmentor.conftest import NOW, signed_in, week_url
from pocketmentor.insights import jobs, records, rollups, services
from pocketmentor.insights.models import LearningRecord, UnitFunnel, UnitProgress
from pocketmentor.learning import tracking
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.tests.test_queries import BUDGETS, SHARED_KEPT
from pocketmentor.privacy.services import person_erase

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="views noted in Redis need REDIS_URL (a real Redis server)"
)
without_redis = pytest.mark.skipif(
    bool(settings.REDIS_URL), reason="views are written during the view only without Redis"
)


def opened(program) -> list[tuple[int, int]]:
    """(enrollment, unit) of each record of opening a unit of this week."""
    unit = program.units.get(number=2)
    return sorted(
        LearningRecord.objects.filter(verb=records.LAUNCHED.iri, unit_id=unit.pk).values_list(
            "enrollment_id", "unit_id"
        )
    )


def funnel_opened(program) -> int:
    found = UnitFunnel.objects.filter(unit__number=2, unit__program=program).first()
    return found.opened if found else 0


@needs_redis
def test_with_redis_a_first_view_writes_nothing_and_the_worker_records_it_once(
    ann, program, django_assert_num_queries
):
    client = signed_in(ann)
    with django_assert_num_queries(BUDGETS[""]):  # the page's reads only: no record written
        assert client.get(week_url(program)).status_code == 200
    assert opened(program) == [] and tracking.pending() == 1
    jobs.opened(NOW)
    enrollment = ann.enrollments.get()
    assert opened(program) == [(enrollment.pk, program.units.get(number=2).pk)]
    assert funnel_opened(program) == 1 and tracking.pending() == 0
    record = LearningRecord.objects.get()
    assert record.timestamp <= record.stored  # when it was viewed, then when it was written
    jobs.opened(NOW)  # nothing more to write
    assert LearningRecord.objects.count() == 1


@needs_redis
def test_a_flush_repeated_after_its_worker_died_writes_no_record_twice(ann, bob, program):
    signed_in(ann).get(week_url(program))
    signed_in(bob).get(week_url(program))
    views = tracking.claim()
    assert len(views) == 2
    # A worker wrote the records, then died before it released the notes.
    services.units_opened(
        views=[(enrollment_of(v), program.units.get(pk=v.unit_id), v.moment) for v in views]
    )
    assert len(opened(program)) == 2 and tracking.pending() == 2
    assert services.opened_flush() == 0  # the next flush finds them stored
    assert len(opened(program)) == 2 and tracking.pending() == 0
    assert funnel_opened(program) == 2


@needs_redis
def test_a_flush_that_fails_mid_way_loses_no_view(ann, bob, program, monkeypatch):
    signed_in(ann).get(week_url(program))
    signed_in(bob).get(week_url(program))
    applied = []

    def failing_on_the_second(found, **kwargs):
        applied.append(found)
        if len(applied) == 2:
            raise RuntimeError("the database went away")
        return real_apply(found, **kwargs)

    real_apply = rollups.apply
    monkeypatch.setattr(rollups, "apply", failing_on_the_second)
    with pytest.raises(RuntimeError):
        services.opened_flush()
    assert opened(program) == [] and UnitProgress.objects.count() == 0  # all rolled back
    assert tracking.pending() == 2
    monkeypatch.setattr(rollups, "apply", real_apply)
    assert services.opened_flush() == 2
    assert len(opened(program)) == 2 and funnel_opened(program) == 2
    assert tracking.pending() == 0


@needs_redis
def test_two_workers_flushing_at_once_lose_no_view_and_write_none_twice(
    ann, bob, facilitator, program
):
    signed_in(ann).get(week_url(program))
    first = tracking.claim()
    again = tracking.claim()  # a second worker, before the first released them
    assert [v.note for v in again] == [v.note for v in first]
    services.units_opened(views=[views_of(v, program) for v in first])
    assert tracking.release(first)
    signed_in(bob).get(week_url(program))  # noted meanwhile
    newer = tracking.claim()  # the first worker's next round
    assert [v.enrollment_id for v in newer] == [bob.enrollments.get().pk]
    assert services.units_opened(views=[views_of(v, program) for v in again]) == 0
    assert not tracking.release(again)  # newer notes are claimed now: they stay
    assert services.opened_flush() == 1
    assert len(opened(program)) == 2 and funnel_opened(program) == 2
    assert tracking.pending() == 0


@needs_redis
def test_a_view_of_someone_erased_before_the_flush_is_not_recorded(ann, bob, program):
    signed_in(ann).get(week_url(program))
    signed_in(bob).get(week_url(program))
    person_erase(user=ann)
    assert services.opened_flush() == 1
    assert opened(program) == [(bob.enrollments.get().pk, program.units.get(number=2).pk)]
    assert tracking.pending() == 0


@without_redis
def test_without_redis_the_view_writes_its_record_once_a_day_in_any_process(
    ann, program, django_assert_num_queries
):
    client = signed_in(ann)
    with django_assert_num_queries(BUDGETS[""] + 3):  # the record, its progress and funnel
        assert client.get(week_url(program)).status_code == 200
    assert len(opened(program)) == 1 and funnel_opened(program) == 1
    cache.clear()  # another process: its own marks and kept pages, none of them set
    caches["pages"].clear()
    phone = signed_in(ann)
    with django_assert_num_queries(SHARED_KEPT + 1):  # the record found written: no rollup
        assert phone.get(week_url(program)).status_code == 200
    assert len(opened(program)) == 1 and funnel_opened(program) == 1
    assert services.opened_flush() == 0 and tracking.pending() == 0


def test_a_record_of_opening_is_the_same_record_all_day_and_another_the_next(ann, program):
    enrollment = ann.enrollments.get()
    unit = program.units.get(number=2)
    morning, evening = NOW.replace(hour=7), NOW.replace(hour=21)
    assert services.units_opened(views=[(enrollment, unit, morning)]) == 1
    assert services.units_opened(views=[(enrollment, unit, evening)] * 2) == 0
    assert services.units_opened(views=[(enrollment, unit, NOW + dt.timedelta(days=1))]) == 1
    assert LearningRecord.objects.count() == 2
    assert UnitProgress.objects.get().steps == UnitProgress.OPENED
    assert funnel_opened(program) == 1  # the person, once
    first = LearningRecord.objects.order_by("timestamp").first()
    assert first.timestamp == morning and first.statement["id"] == str(first.id)


def enrollment_of(view):
    return Enrollment.objects.select_related("program", "group").get(pk=view.enrollment_id)


def views_of(view, program):
    return (enrollment_of(view), program.units.get(pk=view.unit_id), view.moment)
