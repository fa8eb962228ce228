"""Cache backends for kept pages (learning/pages.py): bounded by memory, not by a count.

Without Redis each process keeps its pages in a `BytesLocMemCache`: Django's local-memory
cache, least recently used first out, but holding at most `MAX_BYTES` of stored values
instead of a number of entries that a large cohort outgrows. With Redis, `PagesRedisCache`
is Django's Redis cache whose `clear()` empties its own keys only, not the whole database
(rate limits, the task queue and the default cache share it). Both Redis caches (the default
one is `ReusingRedisCache`) keep the redis-py client they make instead of making one for
every command.
"""

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# Bytes held by each named local-memory cache, beside Django's own per-name stores.
_held: dict[str, int] = {}


class BytesLocMemCache(LocMemCache):
    """LocMemCache bounded by the size of what it holds (`OPTIONS["MAX_BYTES"]`)."""

    def __init__(self, name: str, params: dict):
        options = dict(params.get("OPTIONS") or {})
        self.max_bytes = int(options.pop("MAX_BYTES", 64 * 2**20))
        super().__init__(name, params | {"OPTIONS": options})
        self._name = name
        _held.setdefault(name, 0)

    @property
    def held_bytes(self) -> int:
        return _held[self._name]

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        self._delete(key)
        if len(value) > self.max_bytes:
            return  # larger than the whole cache: not kept
        while self._cache and _held[self._name] + len(value) > self.max_bytes:
            oldest, dropped = self._cache.popitem()  # the least recently used is last
            self._expire_info.pop(oldest, None)
            _held[self._name] -= len(dropped)
        self._cache[key] = value
        self._cache.move_to_end(key, last=False)
        self._expire_info[key] = self.get_backend_timeout(timeout)
        _held[self._name] += len(value)

    def _delete(self, key):
        value = self._cache.pop(key, None)
        self._expire_info.pop(key, None)
        if value is None:
            return False
        _held[self._name] -= len(value)
        return True

    def incr(self, key, delta=1, version=None):
        raise NotImplementedError("kept pages are never counted")

    def clear(self):
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            _held[self._name] = 0


class _ReusedClients(RedisCacheClient):
    """Django's Redis cache client, keeping the redis-py client it makes for each connection
    pool: Django makes one for every command, which costs more CPU (about 70 µs) than the
    command's round trip. A cache object belongs to one thread, and so do these."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class ReusingRedisCache(RedisCache):
    """Django's Redis cache, its clients made once (the default cache with `REDIS_URL`)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClients


class PagesRedisCache(ReusingRedisCache):
    """Django's Redis cache; `clear()` deletes only keys under this cache's prefix."""

    def clear(self) -> None:
        delete_matching(self, "*")

    def set_with_scripts(
        self, key: str, value: Any, timeout: int, scripts: list[tuple[str, list[str], list]]
    ) -> None:
        """`set`, with Lua scripts (source, keys, arguments) run first in the same round
        trip: what a first view notes (learning/tracking.py) goes with the page it keeps."""
        # The stubs know not the backend's client; Django's documented Redis cache has it.
        cache = self._cache  # type: ignore[attr-defined]
        pipeline = cache.get_client(key, write=True).pipeline(transaction=False)
        for source, keys, args in scripts:
            pipeline.eval(source, len(keys), *keys, *args)
        stored = cache._serializer.dumps(value)
        pipeline.set(self.make_and_validate_key(key), stored, ex=self.get_backend_timeout(timeout))
        pipeline.execute()


def delete_matching(cache: BaseCache, pattern: str) -> None:
    """Delete the keys of a Redis cache that match `pattern` (as given to `cache.set`), in
    batches; a local-memory cache is left alone (it belongs to its process)."""
    if not isinstance(cache, RedisCache):
        return
    # The stubs know not the backend's client, Django's documented Redis cache has it.
    client = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
    keys = client.scan_iter(match=cache.make_key(pattern), count=1000)
    for chunk in _chunks(keys, 500):
        client.delete(*chunk)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk
