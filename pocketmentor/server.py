"""The production web server: Granian, one process per core, each running Django in one thread.

Granian parses HTTP in Rust and keeps connections alive, which leaves more of each core to
Django than gunicorn did (about a fifth more kept pages a second, docs/performance.md). One
thread a process, because more would only take turns at the interpreter lock and make the
slowest answers slower.
"""

import os
import signal
import subprocess
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


def worker_command() -> list[str]:
    """The command line of one `pocketmentor worker`."""
    return [sys.executable, "-m", "pocketmentor.cli", "worker"]


def serve_with_worker(command: list[str]) -> int:
    """Run the server and a worker beside it until either stops; the server's exit status.

    Both are child processes in groups of their own, so a Ctrl+C reaches each once, through
    this process, which then waits for both: the worker finishes its batch and nothing is left
    running when the server has stopped.
    """
    children = [
        subprocess.Popen(command, process_group=0),  # noqa: S603 - our own command lines
        subprocess.Popen(worker_command(), process_group=0),  # noqa: S603
    ]

    def forward(signum, frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # The first child to stop (a signal to this process is forwarded meanwhile).
        pid, status = os.wait()
        for child in children:
            if child.pid == pid:
                child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        forward(signal.SIGTERM, None)
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return children[0].returncode
