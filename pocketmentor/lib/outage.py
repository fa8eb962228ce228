"""Telling an outage (the database unreachable or busy, the disk full) from a bug.

An outage is not the code's fault and passes by itself: pages answer 503 and say so, the
worker logs one line a round and tries again, and neither logs a traceback for it.
"""

import errno
import logging

from django.db import InterfaceError, OperationalError

DATABASE = "database"  # unreachable, restarting, refusing connections
BUSY = "busy"  # SQLite's "database is locked" past its timeout
DISK_FULL = "disk_full"


def outage_of(error: BaseException | None) -> str | None:
    """Which outage `error` (or what caused it) is, or None when it is something else."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return DISK_FULL
        if isinstance(error, OperationalError | InterfaceError):
            text = str(error).lower()
            if "disk is full" in text or "no space left" in text or "diskfull" in text:
                return DISK_FULL
            if type(error.__cause__).__name__ == "DiskFull":  # psycopg's, wrapped by Django
                return DISK_FULL
            return BUSY if "database is locked" in text else DATABASE
        error = error.__cause__ or error.__context__
    return None


def outage_line(error: BaseException) -> str:
    """The error in one line: its kind and the first line of what it says."""
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first[:300]}"


class OutageWithoutTraceback(logging.Filter):
    """On Django's request log: an outage is logged as one line, not a traceback a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and outage_of(error):
            record.exc_info = None
            record.msg = f"{record.msg} ({outage_line(error)})"
        return True
