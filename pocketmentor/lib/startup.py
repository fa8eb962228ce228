"""What `pocketmentor serve` and `pocketmentor worker` do before they start their work.

A database that does not answer stops start-up with one line (the `pocketmentor` command
prints ImproperlyConfigured so), and migrations run only when asked, under a lock that lets
two nodes starting together take turns instead of racing (docs/configuration.md).
"""

import fcntl
import logging
import os
import time
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.template import engines
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

from pocketmentor.lib.env import DATABASE_EXAMPLE

logger = logging.getLogger(__name__)

# Any number of our own; PostgreSQL's advisory locks are named by a 64-bit integer.
MIGRATION_LOCK = 0x706D5F6D696772  # "pm_migr"


def database_check() -> None:
    """Connect to the database, or stop with the reason (never the password) in one line."""
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL names a database that does not answer ({reason.rstrip('.')}); start "
            f"it or correct the URL, for example DATABASE_URL={DATABASE_EXAMPLE}."
        ) from None


def migrate_under_lock(*, stdout: TextIO, verbosity: int = 1) -> None:
    """Apply the migrations while holding the migration lock; wait if another node holds it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATION_LOCK])
            if not cursor.fetchone()[0]:
                stdout.write("Another node is migrating the database; waiting for it.\n")
                cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        try:
            call_command("migrate", interactive=False, verbosity=verbosity, stdout=stdout)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])
        return
    # SQLite lives on this machine, so a lock file beside the database serves all its nodes.
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        call_command("migrate", interactive=False, verbosity=verbosity, stdout=stdout)
        return
    with Path(f"{name}.migrate-lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stdout.write("Another process is migrating the database; waiting for it.\n")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            call_command("migrate", interactive=False, verbosity=verbosity, stdout=stdout)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


READY_MARK = "is ready: warmed up"
READY = f"Web process %d {READY_MARK} in %.2f s of CPU."


def warm_up() -> None:
    """Pay at start what each web process's first requests would: every view module imported
    with the URL patterns, each language's translations read, our templates compiled, and
    each cache asked once (which imports its client library: redis-py's takes 90 ms).

    About 0.2 s of CPU a process (docs/performance.md): right after a restart, the first
    participants of a Monday morning wait for none of it.
    """
    started = time.process_time()
    get_resolver().reverse_dict  # noqa: B018 - reading it imports and resolves every pattern
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Save")
    for engine in engines.all():
        for folder in map(Path, engine.template_dirs):
            if folder.is_relative_to(settings.BASE_DIR):
                for path in sorted(folder.rglob("*.html")):
                    get_template(path.relative_to(folder).as_posix())
    for alias in settings.CACHES:
        caches[alias].get("warm-up")
    # In the server's log: the bench (and an operator) can tell when every worker is ready.
    logger.info(READY, os.getpid(), time.process_time() - started)
