"""What participants see, told once per unit and day (insights records it), not on every view.

A page view that wrote a row every time would slow every page. A mark in the cache (Redis when
`REDIS_URL` is set, shared by every process) says that today's record of a unit is written,
so a repeat view, from any phone, adds no write and no query: no session is written either.
Without Redis each process keeps its own marks, so a person's view may reach insights once per
process and day; insights writes one record a day whatever it is told (the record's id names
the person, unit and day). The funnel counts a person once whatever the records
(insights/rollups.py), and the weekly active rate counts only answers (docs/insights.md).

With Redis, the first view of a unit in a day writes nothing to the database: one round trip
to Redis sets the day's mark and, only when it was not set yet, appends a note of the view
(enrollment, unit, moment) to a list in Redis, which a worker's periodic job writes in bulk
(insights/jobs.py) through `claim` and `release`: a note leaves Redis only once its record is
stored, so a flush that fails or a worker that dies mid-way loses none. Without Redis (a
laptop, no worker needed) the record is written during the view, as insights answers the
`unit_opened` signal.
"""

import datetime as dt
import zlib
from typing import NamedTuple

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections
from django.utils import timezone

from pocketmentor.learning import signals

OPENED, READ = "opened", "read"
PREFIX = "tracked:"  # of every mark's key
KEEP = 2 * 86_400  # seconds a mark outlives its day

# Set the day's mark; when it was not set, note the view at the end of the queue. Atomic.
_MARK_AND_NOTE = """
if redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then
    redis.call('RPUSH', KEYS[2], ARGV[2])
    return 1
end
return 0
"""
# The claimed notes: those left by a claim that did not finish first, else the oldest queued
# ones (at most ARGV[1]), moved to the claimed list in one step.
_CLAIM = """
local most = tonumber(ARGV[1])
if redis.call('LLEN', KEYS[2]) == 0 then
    local notes = redis.call('LRANGE', KEYS[1], 0, most - 1)
    if #notes == 0 then return notes end
    redis.call('RPUSH', KEYS[2], unpack(notes))
    redis.call('LTRIM', KEYS[1], #notes, -1)
end
return redis.call('LRANGE', KEYS[2], 0, most - 1)
"""
# Forget the claimed notes ARGV, if they are still the first claimed (another worker may have
# released them already, and claimed newer ones since).
_RELEASE = """
local head = redis.call('LRANGE', KEYS[1], 0, #ARGV - 1)
if #head ~= #ARGV then return 0 end
for i = 1, #ARGV do
    if head[i] ~= ARGV[i] then return 0 end
end
redis.call('LTRIM', KEYS[1], #ARGV, -1)
return 1
"""
_scripts: dict[str, object] = {}


class View(NamedTuple):
    """A participant's first view of a unit in a day, noted for insights to record."""

    enrollment_id: int
    unit_id: int
    moment: dt.datetime
    note: str  # as queued


def today() -> str:
    """The day whose marks a view now sets or reads."""
    return timezone.now().date().isoformat()


def _mark(verb: str, enrollment_id: int, unit_id: int) -> str:
    return f"{PREFIX}{verb}:{enrollment_id}:{unit_id}:{today()}"


def _first_time(verb: str, enrollment_id: int, unit_id: int) -> bool:
    """True once a day per person and unit; `add` is atomic, so in one process only."""
    return cache.add(_mark(verb, enrollment_id, unit_id), 1, KEEP)


def seen(enrollment_id: int, unit_id: int) -> bool:
    """Whether opening the unit is recorded today already."""
    return cache.get(_mark(OPENED, enrollment_id, unit_id)) is not None


def queued() -> bool:
    """Whether first views are noted in Redis for a worker to record (else written at once)."""
    return isinstance(caches["default"], RedisCache)


def unit_viewed(request, enrollment, unit) -> None:
    """The participant opened a unit: one record the first time in the day."""
    if queued():
        later = getattr(request, "views_to_note", None)
        if later is not None:  # noted along with the page kept (`note_later`)
            later.append((enrollment.pk, unit.pk))
        else:
            _mark_and_note(enrollment.pk, unit.pk)
    elif _first_time(OPENED, enrollment.pk, unit.pk):
        signals.unit_opened.send(type(unit), enrollment=enrollment, unit=unit)


def note_later(request) -> list[tuple[int, int]]:
    """With Redis, let the views of this request be noted later, in the same round trip as
    another command (learning/pages.py stores the page with them): the list they go in."""
    views: list[tuple[int, int]] = []
    if queued():
        request.views_to_note = views
    return views


def note(views: list[tuple[int, int]]) -> None:
    """Note views that waited (`note_later`) on their own."""
    for enrollment_id, unit_id in views:
        _mark_and_note(enrollment_id, unit_id)
    views.clear()


def note_scripts(views: list[tuple[int, int]]) -> list[tuple[str, list[str], list]]:
    """The Lua scripts (source, keys, arguments) that note views that waited, for a Redis
    pipeline of the default cache's database (`lib.caches.PagesRedisCache.set_with_scripts`)."""
    default = caches["default"]
    scripts = [(_MARK_AND_NOTE, *_mark_and_note_args(default, *view)) for view in views]
    views.clear()
    return scripts


def cards_seen(request, enrollment, unit) -> None:
    """The participant reached the end of a unit's cards: one record, as for opening."""
    if _first_time(READ, enrollment.pk, unit.pk):
        signals.cards_read.send(type(unit), enrollment=enrollment, unit=unit)


# The queue of first views, with Redis --------------------------------------------------------


def _redis():
    default = caches["default"]
    # The stubs know not the backend's client; Django's documented Redis cache has it.
    return default, default._cache.get_client(None, write=True)  # type: ignore[attr-defined]


def _run(client, name: str, source: str, keys: list[str], args: list) -> object:
    """A Lua script in one round trip (by its digest once Redis knows it)."""
    script = _scripts.get(name)
    if script is None:
        script = _scripts[name] = client.register_script(source)
    return script(keys=keys, args=args, client=client)  # type: ignore[operator]


def _queue_keys(default) -> list[str]:
    """The queue and the claimed notes of this database (another database, such as the
    bench's, on the same Redis has its own)."""
    connection = connections["default"]
    database = f"{connection.vendor}:{connection.settings_dict['NAME']}"
    tag = format(zlib.crc32(database.encode()), "08x")
    return [default.make_key(f"views:{tag}:queued"), default.make_key(f"views:{tag}:claimed")]


def _mark_and_note(enrollment_id: int, unit_id: int) -> bool:
    """Set today's mark and, the first time, queue the view: one round trip. Whether queued."""
    default, client = _redis()
    keys, args = _mark_and_note_args(default, enrollment_id, unit_id)
    return bool(_run(client, "note", _MARK_AND_NOTE, keys, args))


def _mark_and_note_args(default, enrollment_id: int, unit_id: int) -> tuple[list[str], list]:
    mark = default.make_and_validate_key(_mark(OPENED, enrollment_id, unit_id))
    view = f"{enrollment_id}:{unit_id}:{timezone.now().timestamp():.6f}"
    return [mark, _queue_keys(default)[0]], [KEEP, view]


def claim(most: int = 500) -> list[View]:
    """The oldest views noted and not recorded yet, at most `most`: those of a claim that did
    not `release` them first (a flush failed or its worker died), so none is lost."""
    default, client = _redis()
    notes = _run(client, "claim", _CLAIM, _queue_keys(default), [most])
    views = []
    for raw in notes:  # type: ignore[attr-defined]
        note = raw.decode()
        enrollment_id, unit_id, stamp = note.split(":")
        moment = dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC)
        views.append(View(int(enrollment_id), int(unit_id), moment, note))
    return views


def release(views: list[View]) -> bool:
    """Forget claimed views whose records are stored; False when another worker had already."""
    if not views:
        return True
    default, client = _redis()
    return bool(
        _run(client, "release", _RELEASE, _queue_keys(default)[1:], [v.note for v in views])
    )


def pending() -> int:
    """Views noted and not recorded yet (0 without Redis, where none wait)."""
    if not queued():
        return 0
    default, client = _redis()
    return sum(client.llen(key) for key in _queue_keys(default))


def forget_pending() -> None:
    """Drop this database's queued views (the bench's, when its database goes)."""
    if queued():
        default, client = _redis()
        client.delete(*_queue_keys(default))
