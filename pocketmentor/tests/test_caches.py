"""Kept pages' caches: bounded by bytes without Redis, shared and cleared apart with Redis."""

import re

import pytest
from django.conf import settings
from django.core.cache import caches

from pocketmentor.bench.database import forget_pages_and_marks
from pocketmentor.conftest import signed_in, week_url
from pocketmentor.learning import tracking
from pocketmentor.lib.caches import BytesLocMemCache, PagesRedisCache

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="kept pages in Redis need REDIS_URL (a real Redis server)"
)


def local(name: str, max_bytes: int) -> BytesLocMemCache:
    cache = BytesLocMemCache(name, {"OPTIONS": {"MAX_BYTES": max_bytes}, "TIMEOUT": 300})
    cache.clear()
    return cache


def test_a_local_cache_holds_more_than_a_thousand_pages_when_they_fit_in_its_bytes():
    cache = local("test-many", 8 * 2**20)
    for n in range(2_500):
        cache.set(f"page{n}", b"x" * 1_000)
    assert all(cache.get(f"page{n}") is not None for n in range(2_500))
    assert 2_500_000 < cache.held_bytes <= 8 * 2**20


def test_a_local_cache_never_holds_more_bytes_than_allowed_and_drops_the_least_used_first():
    cache = local("test-bytes", 10_000)
    for n in range(9):
        cache.set(f"page{n}", b"x" * 1_000)
    assert cache.get("page0") is not None  # read: now the most recently used
    for n in range(9, 30):
        cache.set(f"page{n}", b"x" * 1_000)
        assert cache.held_bytes <= 10_000
    assert cache.get("page1") is None  # dropped, oldest unread
    assert cache.get("page29") is not None
    cache.set("page29", b"y" * 5_000)  # a new value replaces the old one's bytes
    assert cache.held_bytes <= 10_000
    cache.set("huge", b"z" * 20_000)  # larger than the whole cache: not kept, nothing dropped
    assert cache.get("huge") is None and cache.get("page29") is not None
    cache.delete("page29")
    cache.clear()
    assert cache.held_bytes == 0


@needs_redis
def test_clearing_kept_pages_in_redis_leaves_every_other_key_alone():
    caches["default"].set("not-a-page", 1)
    caches["pages"].set("a-page", b"html")
    caches["pages"].clear()
    assert caches["pages"].get("a-page") is None
    assert caches["default"].get("not-a-page") == 1


@needs_redis
@pytest.mark.django_db
def test_a_kept_page_in_redis_is_served_by_another_process_and_after_a_restart(
    ann, program, django_assert_num_queries
):
    assert isinstance(caches["pages"], PagesRedisCache)
    client = signed_in(ann)
    rendered = client.get(week_url(program))
    assert rendered.status_code == 200
    # Another process (or this one restarted) has an empty memory but the same Redis.
    fresh = PagesRedisCache(settings.REDIS_URL, settings.CACHES["pages"])
    keys = fresh._cache.get_client(None).scan_iter(match=fresh.make_key("*"))
    # Pages ("enrollment.versions.language.path"), not the shell and parts everyone shares.
    kept = [key for key in keys if re.search(rb":\d+(\.\d+)+\.[\w-]+\./o/", key)]
    assert len(kept) == 1
    caches["pages"].close()
    with django_assert_num_queries(2):  # session with its person, versions: served as kept
        assert client.get(week_url(program)).status_code == 200


@needs_redis
def test_the_bench_forgets_kept_pages_and_the_marks_of_first_views_and_nothing_else():
    caches["default"].set("not-a-mark", 1)
    caches["default"].set(f"{tracking.PREFIX}opened:1:2:2026-03-11", 1)
    caches["pages"].set("a-page", b"html")
    forget_pages_and_marks()
    assert caches["pages"].get("a-page") is None
    assert caches["default"].get(f"{tracking.PREFIX}opened:1:2:2026-03-11") is None
    assert caches["default"].get("not-a-mark") == 1


@needs_redis
def test_a_redis_cache_makes_its_client_once_and_still_answers():
    # Django's makes a client for every command, which costs more than the command's round trip.
    for name in ("default", "pages"):
        backend = caches[name]._cache
        assert backend.get_client(None, write=True) is backend.get_client(None, write=True)
        caches[name].set("reused", 1)
        assert caches[name].get("reused") == 1


@needs_redis
def test_a_page_is_kept_with_scripts_run_in_the_same_round_trip():
    script = "return redis.call('SET', KEYS[1], ARGV[1], 'EX', 60)"
    mark = caches["default"].make_and_validate_key("set-alongside")
    caches["pages"].set_with_scripts("a-page", {"html": "<p>kept</p>"}, 30, [(script, [mark], [7])])
    assert caches["pages"].get("a-page") == {"html": "<p>kept</p>"}  # as `set` stores it
    client = caches["pages"]._cache.get_client(None)
    assert 0 < client.ttl(caches["pages"].make_and_validate_key("a-page")) <= 30
    assert client.get(mark) == b"7"  # the script ran


@needs_redis
@pytest.mark.django_db
def test_with_redis_a_first_view_notes_its_opening_along_with_the_page_it_keeps(ann, program):
    client = signed_in(ann)
    assert tracking.pending() == 0
    assert client.get(week_url(program)).status_code == 200
    assert tracking.pending() == 1  # noted once, in the round trip that kept the page
    enrollment = ann.enrollments.get()
    assert tracking.seen(enrollment.pk, program.units.get(number=2).pk)
    assert client.get(week_url(program)).status_code == 200  # kept: nothing noted again
    assert tracking.pending() == 1
