"""The production web server: Granian, one process per core, each running Django in one thread.

Granian parses HTTP in Rust and keeps connections alive, which leaves more of each core to
Django than gunicorn did (about a fifth more kept pages a second, docs/performance.md). One
thread a process, because more would only take turns at the interpreter lock and make the
slowest answers slower.
"""

import sys


def command(*, host: str, port: int, workers: int, access_log: bool = True) -> list[str]:
    """The command line that serves `pocketmentor.wsgi` on host:port."""
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--blocking-threads", "1", "--no-ws", "--respawn-failed-workers",
        "--access-log" if access_log else "--no-access-log",
        "pocketmentor.wsgi:application",
    ]  # fmt: skip
