"""The bench's own test database, which a separate server process can open as well."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import get_runner

from pocketmentor.learning import tracking
from pocketmentor.lib.caches import delete_matching


@contextmanager
def bench_database(folder: Path, *, suffix: str = "bench") -> Iterator[str]:
    """Create an empty test database (never the configured one); yield its DATABASE_URL."""
    test = connection.settings_dict["TEST"]
    if connection.vendor == "sqlite":
        test["NAME"] = str(folder / f"{suffix}.sqlite3")  # a file: the server must open it too
    else:
        # Not the test suite's test_<name>, which a `make test` running meanwhile may be using.
        test["NAME"] = f"test_{connection.settings_dict['NAME']}_{suffix}"
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    # Kept pages and the marks of the day's first views are keyed by ids and versions that a
    # new database repeats: with Redis, those of the configured database must not reach the
    # bench's (a first view would write no record), nor the bench's outlive it.
    forget_pages_and_marks()
    try:
        yield database_url(connection.settings_dict)
    finally:
        forget_pages_and_marks()
        runner.teardown_databases(old_config)


def forget_pages_and_marks() -> None:
    caches["pages"].clear()
    delete_matching(caches["default"], f"{tracking.PREFIX}*")
    tracking.forget_pending()  # the bench database's first views noted for a worker


def database_url(db: dict) -> str:
    """The DATABASE_URL of a connection's settings, as settings.py reads it."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"], safe="") if db["USER"] else ""
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{auth}{'@' if auth else ''}{host}/{quote(db['NAME'], safe='')}"
