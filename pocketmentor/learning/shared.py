"""What every participant of a program sees alike, read or rendered once and shared.

Kept in the cache of kept pages (learning/pages.py: in Redis when `REDIS_URL` is set, shared by
every process) under keys that name what it shows (the organization's `pages_version` among
them), and for a few seconds in each process's memory as well, so that a burst of first views
reads it from Redis and unpickles it once per process, not once per view.
"""

import time
from typing import Any

from django.core.cache import caches

LOCAL_SECONDS = 10  # in a process's memory; a change raises the version, which changes the key
LOCAL_MOST = 1000  # entries, of a few KB each

_local: dict[str, tuple[float, Any]] = {}


def get_many(keys: list[str]) -> dict[str, Any]:
    """Those of `keys` that are kept: one read of the cache at most."""
    now = time.time()
    found = {}
    for key in keys:
        kept = _local.get(key)
        if kept is not None and kept[0] > now:
            found[key] = kept[1]
    missing = [key for key in keys if key not in found]
    if missing:
        read = caches["pages"].get_many(missing)
        _remember(read, now)
        found |= read
    return found


def get(key: str) -> Any:
    return get_many([key]).get(key)


def set_many(values: dict[str, Any], seconds: int) -> None:
    """Keep `values` for `seconds` at most."""
    caches["pages"].set_many(values, seconds)
    _remember(values, time.time())


def set(key: str, value: Any, seconds: int) -> None:  # noqa: A001 - as the cache's own
    set_many({key: value}, seconds)


def forget() -> None:
    """Forget what this process holds (tests, with the cache's own `clear()`)."""
    _local.clear()


def _remember(values: dict[str, Any], now: float) -> None:
    if len(_local) + len(values) > LOCAL_MOST:
        for key in [k for k, (until, _) in _local.items() if until <= now]:
            del _local[key]
        if len(_local) + len(values) > LOCAL_MOST:
            _local.clear()
    _local.update((key, (now + LOCAL_SECONDS, value)) for key, value in values.items())
