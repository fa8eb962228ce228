"""Load on the participant's this-week page: the server in one process group, wrk in another.

Everything stays on the loopback interface, every wait is bounded, and the server is always
stopped: its whole process group, master and workers.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.test import Client

from pocketmentor.bench import Figure
from pocketmentor.bench.pages import participants, program_path
from pocketmentor.lib.startup import READY_MARK
from pocketmentor.server import command as server_command

HOST = "127.0.0.1"
SIGNED_IN = 50  # participants whose sessions the load rotates through
CONNECTIONS, THREADS, WARM_UP = 10, 2, 2
TIMEOUT = 5  # seconds; wrk counts a slower response as a timeout error
WRK_SCRIPT = """\
-- Each request comes from the next signed-in participant; done() prints one JSON line.
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  cookies = {}
  for line in io.lines(args[1]) do cookies[#cookies + 1] = line end
  path, turn, bad = args[2], offset, 0
end

function request()
  turn = turn % #cookies + 1
  return wrk.format("GET", path, {["Cookie"] = cookies[turn], ["Accept-Encoding"] = "gzip"})
end

function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"non2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), non2xx, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Server:
    url: str
    pid: int
    log: Path


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise CommandError(
            "The load figures need wrk: install it with `apt-get install wrk` "
            "(or run `pocketmentor bench --no-load` for the page figures only)."
        )


def measure(
    *, database_url: str, folder: Path, duration: int, progress: Callable[[str], None]
) -> list[Figure]:
    env = server_env(database_url, folder)
    progress("collecting static files")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    enrollments = participants(SIGNED_IN)
    cookies = session_cookies([e.user for e in enrollments], program_path(enrollments[0]))
    (folder / "cookies.txt").write_text("".join(f"{c}\n" for c in cookies))
    (folder / "rotate.lua").write_text(WRK_SCRIPT)
    args = [str(folder / "rotate.lua"), str(folder / "cookies.txt"), program_path(enrollments[0])]
    workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 1))
    progress(f"serving with {workers} workers")
    with serve(env, workers, folder) as server:
        check(server, args[-1], cookies[0])
        warn_if_busy(progress)
        progress(f"warming up for {WARM_UP} s")
        wrk(server, *args, seconds=WARM_UP)
        progress(f"loading this week's page for {duration} s")
        result = wrk(server, *args, seconds=duration)
        return figures(result, worker_rss_mb(server.pid))


def figures(wrk_result: dict, rss_mb: float) -> list[Figure]:
    rps = wrk_result["requests"] / wrk_result["duration_us"] * 1e6
    errors = wrk_result["non2xx"] + wrk_result["socket_errors"]
    return [
        Figure("load.this-week.rps", round(rps, 1), "requests/s"),
        *(
            Figure(f"load.this-week.p{p}_ms", round(wrk_result[f"p{p}_us"] / 1000, 1), "ms")
            for p in (50, 90, 99)
        ),
        Figure("load.this-week.errors", errors, "requests"),
        Figure("server.worker_rss_mb", round(rss_mb, 1), "MiB"),
    ]


def warn_if_busy(progress: Callable[[str], None]) -> None:
    """Other work on the machine takes cores from the server and wrk: say so beside the figures."""
    busy = cpu_busy()
    if busy > 0.25:  # the server and wrk are idle now, so this is someone else
        progress(f"note: the CPU was {busy:.0%} busy before the load; expect lower figures")


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of all cores' time spent working over the next `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # all, idle + waiting for I/O

    total, idle = sample()
    time.sleep(seconds)
    total_after, idle_after = sample()
    return 1 - (idle_after - idle) / max(1, total_after - total)


def server_env(database_url: str, folder: Path) -> dict[str, str]:
    """The bench database, a throwaway data folder, and this process's key for the sessions."""
    data = folder / "data"
    data.mkdir(exist_ok=True)
    return os.environ | {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data),
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "pocketmentor.settings",
        "LOG_LEVEL": "INFO",  # each worker says when it is ready (`wait_ready`)
    }


def manage(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-m", "pocketmentor.cli", *args]
    subprocess.run(command, env=env, check=True, timeout=300)  # noqa: S603 - our own command


def session_cookies(users, path: str) -> list[str]:
    """Each person's Cookie header, as their phone sends it after a first visit to `path`."""
    names = [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME]
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        client.get(path)
        cookies.append("; ".join(f"{name}={client.cookies[name].value}" for name in names))
    return cookies


@contextmanager
def serve(env: dict[str, str], workers: int, folder: Path) -> Iterator[Server]:
    """`pocketmentor serve` without its migrate and access log, on a free loopback port."""
    port = free_port()
    log = folder / "server.log"
    command = server_command(host=HOST, port=port, workers=workers, access_log=False)
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own server
            command, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole below
        )  # fmt: skip
    try:
        server = Server(f"http://{HOST}:{port}", process.pid, log)
        wait_ready(server, process, workers)
        yield server
    finally:
        stop(process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_ready(
    server: Server, process: subprocess.Popen, workers: int, seconds: float = 60
) -> None:
    """Until the server answers and each of its `workers` has said in its log that it is
    ready: one worker answers while another may still be starting, and the first seconds of
    a run would then measure one."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"The server stopped:\n{server.log.read_text()[-2000:]}")
        try:
            answers = get(server, "/healthz")[0] == 200
        except OSError:
            answers = False  # not listening yet
        if answers and server.log.read_text().count(READY_MARK) >= workers:
            return
        time.sleep(0.2)
    raise CommandError(f"The server was not ready within {seconds:.0f} s.")


def stop(process: subprocess.Popen) -> None:
    """Stop the master and its workers; kill them if they take more than ten seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def get(server: Server, path: str, cookie: str = "") -> tuple[int, bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def check(server: Server, path: str, cookie: str) -> None:
    """One signed-in request first, so a broken session fails clearly and not as errors."""
    status, _ = get(server, path, cookie)
    if status != 200:
        log = server.log.read_text(errors="replace")[-3000:]
        raise CommandError(f"{path} answered {status} to a signed-in participant:\n{log}")


def wrk(server: Server, script: str, cookies: str, path: str, *, seconds: int) -> dict:
    """Run wrk for `seconds` against the page; the figures its done() printed."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", f"--timeout={TIMEOUT}s",
               "-s", script, server.url, "--", cookies, path]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - wrk from PATH, checked by require_wrk
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise CommandError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    return json.loads(line.removeprefix("WRK "))


def worker_rss_mb(master: int) -> float:
    """The largest peak resident memory (VmHWM) among the master's worker processes."""
    peaks = [_status(p).get("VmHWM", 0) for p in _children(master)]
    return max(peaks, default=0) / 1024


def _children(parent: int) -> list[Path]:
    procs = (p for p in Path("/proc").iterdir() if p.name.isdigit())
    return [p for p in procs if _status(p).get("PPid") == parent]


def _status(proc: Path) -> dict[str, int]:
    """The numeric fields of /proc/<pid>/status (kB for memory); empty if the process is gone."""
    try:
        lines = (proc / "status").read_text().splitlines()
    except OSError:
        return {}
    fields = {}
    for line in lines:
        name, _, value = line.partition(":")
        first = value.split()[:1]
        if first and first[0].isdigit():
            fields[name] = int(first[0])
    return fields
