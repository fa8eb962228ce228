"""Monday morning: many distinct participants open this week once, right after a restart.

The load run (`load.py`) measures kept pages, as a participant who comes back sees them. The
morning a week opens is made of first views instead: each participant's page rendered for
the first time, with the writes a first view makes. Here a freshly started server (kept
pages forgotten) gets one request of *this week* from each of `FIRST` distinct signed-in
participants, once over one connection and then over `CONNECTIONS` (three restarts, three
groups of participants: the median is reported); then the last server
serves `ROTATION[size]` participants in turn, then again in a shuffled order, and the second
round is compared with the kept pages of the first `FIRST` (the share of the kept-page rate
that rotation keeps).
The first round is bounded by `FIRST_ROUND_LIMIT`, far shorter than a kept page's life
(`learning.pages.LONGEST`), so no page it keeps has expired when the second round comes to it;
if the limit cuts it short, the rotation is measured over the participants it reached, and its
figures are named by their number.

Next to requests per second, each figure has the server's CPU time per request: the user and
system time of the server's processes (master and workers, from /proc) over the run, divided
by the requests. That figure changes least when other work shares the machine. The database
server's CPU (PostgreSQL) is not counted in it. `monday.load_average` is the machine's load
(one minute) when the runs began. The server keeps pages where the bench's own settings say
(Redis when `REDIS_URL` is set, each worker's memory when not): `kept_in`, which the command
writes beside each figure.
"""

import datetime as dt
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import caches
from django.db.models import Max
from django.middleware.csrf import _get_new_csrf_string
from django.utils import timezone
from django.utils.crypto import get_random_string

from pocketmentor.accounts.models import Session, User
from pocketmentor.accounts.sessions import SessionStore
from pocketmentor.bench import Figure
from pocketmentor.bench.load import Server, manage, serve, server_env
from pocketmentor.bench.pages import participants, program_path
from pocketmentor.insights.services import opened_flush
from pocketmentor.learning import pages, tracking
from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.orgs.models import Membership
from pocketmentor.programs.models import Activity

FIRST = 250  # distinct participants of a first-view run
CONNECTIONS = 10
ROTATION = {"municipality": 2_500, "national": 25_000}
BACKEND = "pocketmentor.accounts.backends.LinkBackend"  # as a sign-in link signs them in
TIMEOUT = 30  # seconds for one request
FIRST_ROUND_LIMIT = 900  # seconds: 25,000 first views take about 5 minutes on two quiet cores
assert FIRST_ROUND_LIMIT < pages.LONGEST / 4  # noqa: S101 - the first round's pages stay kept


def measure(
    *,
    size: str,
    database_url: str,
    folder: Path,
    progress: Callable[[str], None],
    first: int = FIRST,
    rotation: int | None = None,
    seconds: float = 10,
) -> list[Figure]:
    """The figures; the kept and rotating rounds stop after `seconds` (first views do not)."""
    rotation = rotation or ROTATION[size]
    if rotation < 4 * first:
        raise ValueError(f"four runs of {first} first views need {4 * first} participants")
    progress(f"monday: signing in {rotation:,} participants")
    enrollments = enough_participants(rotation)
    cookies = sign_in([e.user for e in enrollments])
    path = program_path(enrollments[0])
    env = server_env(database_url, folder)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 1))
    figures = [Figure("monday.load_average", round(os.getloadavg()[0], 2), "load")]
    # Groups of distinct participants, so that each run's views are first views.
    ones, *groups = (cookies[-(n + 1) * first : len(cookies) - n * first] for n in range(4))
    progress(f"monday: {first} first views over one connection after a restart")
    forget_kept_pages()
    with serve(env, workers, folder) as server:
        figures += run(server, path, ones, 1, "monday.first-views.sequential").figures
    record_noted(len(ones), "monday.first-views.sequential")
    # Less than a second each: the median of three restarts, so that one hiccup of the
    # machine does not make the figure.
    rounds, others = [], groups[-1]
    for group in groups[:-1]:
        forget_kept_pages()
        with serve(env, workers, folder) as server:
            rounds.append(first_views(server, path, group, progress))
    forget_kept_pages()
    with serve(env, workers, folder) as server:
        rounds.append(first_views(server, path, others, progress))
        figures += median(rounds)
        progress(f"monday: the same {first} again, kept, for {seconds:g} s at most")
        kept = run(server, path, others * 20, CONNECTIONS, "monday.kept", seconds=seconds).figures
        figures += kept
        progress(f"monday: {rotation:,} participants in turn: once round, then {seconds:g} s")
        rotation, rounds, rotating = rotate(
            server, path, cookies, seconds=seconds, progress=progress
        )
        figures += rounds
    name = f"monday.rotation-{rotation}"
    # The share of the kept-page rate that rotation keeps: by requests/s, and by CPU time
    # per request (a rate the server's cores could reach, less disturbed by other work).
    (rps, cpu), (rps_kept, cpu_kept) = (f.value for f in rotating[:2]), (f.value for f in kept[:2])
    # Pages that show this week's poll results are kept like the others; their counts are
    # put in as they are served (learning/pages.py `with_counts`).
    figures.append(Figure(f"{name}.poll_answered", poll_answered(enrollments[:rotation]), "people"))
    figures.append(Figure(f"{name}.kept_share", round(100 * rps / max(rps_kept, 0.1)), "%"))
    figures.append(Figure(f"{name}.kept_share_cpu", round(100 * cpu_kept / max(cpu, 0.01)), "%"))
    figures.append(Figure("monday.load_average_after", round(os.getloadavg()[0], 2), "load"))
    return figures


def first_views(
    server: Server, path: str, cookies: list[str], progress: Callable[[str], None]
) -> list[Figure]:
    """One restart's first views of distinct participants over `CONNECTIONS` connections."""
    name = "monday.first-views.c10"
    progress(f"monday: {len(cookies)} first views over {CONNECTIONS} connections after a restart")
    figures = run(server, path, cookies, CONNECTIONS, name).figures
    progress(f"monday: {figures[0].value:g} requests/s, {figures[1].value:g} ms of CPU each")
    return figures + record_noted(len(cookies), name)


def median(rounds: list[list[Figure]]) -> list[Figure]:
    """The figures of the round whose requests/s (its first figure) is the median."""
    return sorted(rounds, key=lambda figures: figures[0].value)[len(rounds) // 2]


def enough_participants(count: int) -> list[Enrollment]:
    """At least `count` participants in the first participant's program: more are enrolled."""
    enrollments = participants(count)
    missing = count - len(enrollments)
    if missing > 0:
        program = enrollments[0].program
        groups = list(program.groups.order_by("pk"))
        start = (User.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        users = User.objects.bulk_create(
            User(email=f"monday{start + n}@bench.example", name=f"Monday {n + 1}")
            for n in range(missing)
        )
        Membership.objects.bulk_create(
            Membership(organization=program.organization, user=u, role=Membership.Role.PARTICIPANT)
            for u in users
        )
        Enrollment.objects.bulk_create(
            Enrollment(program=program, user=u, group=groups[n % len(groups)] if groups else None)
            for n, u in enumerate(users)
        )
        enrollments = participants(count)
    return enrollments


def record_noted(views: int, name: str) -> list[Figure]:
    """With Redis, first views are noted there and their records written by a worker: write
    them here as its job does, and its CPU time per first view (`.recorded_cpu_ms`)."""
    if not tracking.queued():
        return []
    started = time.process_time()
    written = opened_flush()
    cpu = time.process_time() - started
    return [
        Figure(f"{name}.recorded", written, "records"),
        Figure(f"{name}.recorded_cpu_ms", round(cpu * 1000 / max(views, 1), 2), "ms/request"),
    ]


def poll_answered(enrollments: list[Enrollment]) -> int:
    """How many of these participants answered a poll of this week (their page shows its counts)."""
    program = enrollments[0].program
    answered = Response.objects.filter(
        enrollment__in=[e.pk for e in enrollments],
        activity__kind=Activity.Kind.POLL,
        activity__unit__program=program,
        activity__unit__number=program.week_at(),
    )
    return answered.values("enrollment_id").distinct().count()


def sign_in(users: list[User]) -> list[str]:
    """A session for each person, as a sign-in link leaves it; their phones' Cookie headers.

    Written in bulk rather than through a sign-in each: nothing of the page is viewed yet.
    """
    codec = SessionStore()
    expires = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions, cookies = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(
                session_key=key, session_data=codec.encode(data), expire_date=expires, user=user
            )
        )
        csrf = _get_new_csrf_string()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf}")
    Session.objects.bulk_create(sessions, batch_size=500)
    return cookies


def kept_in() -> str:
    """Where the server keeps pages: "redis" (shared by its workers) or "memory" (each its own)."""
    redis = settings.CACHES["pages"]["BACKEND"].endswith("RedisCache")
    return "redis" if redis else "memory"


def forget_kept_pages() -> None:
    """A restart forgets the kept pages of a process; those kept in Redis are forgotten here."""
    caches["pages"].clear()


def rotate(
    server: Server,
    path: str,
    cookies: list[str],
    *,
    seconds: float,
    progress: Callable[[str], None],
) -> tuple[int, list[Figure], list[Figure]]:
    """The two rotation rounds: each participant once in turn (at most `FIRST_ROUND_LIMIT`
    seconds), then those the first round reached in a shuffled order for `seconds` at most.

    How many the first round reached (the figures are named by it), the figures of both
    rounds, and the second round's alone.
    """
    rotation = len(cookies)
    started = time.monotonic()
    first_round = run(
        server, path, cookies, CONNECTIONS, f"monday.rotation-{rotation}.first-round",
        seconds=FIRST_ROUND_LIMIT,
    )  # fmt: skip
    took = time.monotonic() - started
    if first_round.reached < rotation:
        reached = first_round.reached
        progress(f"monday: the first round reached {reached:,} in {took:.0f} s, not all")
        rotation, cookies = reached, cookies[:reached]
    name = f"monday.rotation-{rotation}"
    figures = [*first_round.figures, Figure(f"{name}.first-round.seconds", round(took, 3), "s")]
    # In a shuffled order: the seconds measured sample the whole cohort, early and late in the
    # first round, the demo's active participants and the bench's quiet ones.
    shuffled = random.Random(rotation).sample(cookies, len(cookies))
    rotating = run(server, path, shuffled, CONNECTIONS, name, seconds=seconds).figures
    return rotation, figures + rotating, rotating


class Run(NamedTuple):
    figures: list[Figure]
    reached: int  # how many of the Cookie headers (the first ones) got their turn


def run(
    server: Server,
    path: str,
    cookies: list[str],
    connections: int,
    name: str,
    *,
    seconds: float | None = None,
) -> Run:
    """One request of `path` for each Cookie header in turn, over `connections` keep-alive
    connections; no new request after `seconds`, when given."""
    turn = iter(range(len(cookies)))
    lock = threading.Lock()
    errors, done = [0], [0]
    deadline = time.monotonic() + seconds if seconds else None
    host, port = server.url.removeprefix("http://").split(":")

    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
        "Accept-Encoding: gzip\r\n\r\n".encode()
        for cookie in cookies
    ]

    def client() -> None:
        conn = None
        try:
            while True:
                with lock:
                    late = deadline is not None and time.monotonic() > deadline
                    n = None if late else next(turn, None)
                if n is None:
                    return
                try:
                    conn = conn or Connection(host, int(port))
                    status = conn.get(requests[n])
                    with lock:
                        done[0] += 1
                    if status != 200:
                        errors[0] += 1
                except (OSError, ValueError):
                    errors[0] += 1
                    if conn is not None:
                        conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    cpu = server_cpu_seconds(server.pid)
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # each request is bounded by TIMEOUT
    elapsed = time.perf_counter() - started
    cpu = server_cpu_seconds(server.pid) - cpu
    requests = max(1, done[0] + errors[0])
    figures = [
        Figure(f"{name}.rps", round(requests / elapsed, 1), "requests/s"),
        Figure(f"{name}.cpu_ms", round(cpu * 1000 / requests, 2), "ms/request"),
        Figure(f"{name}.errors", errors[0], "requests"),
    ]
    return Run(figures, next(turn, len(cookies)))


class Connection:
    """A keep-alive HTTP/1.1 connection that sends a request and reads its whole answer.

    Written for the bench: the client shares the cores with the server, and http.client's
    parsing of each answer took more of them than this (0.3 ms a request in all).
    """

    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buffer = b""

    def get(self, request: bytes) -> int:
        """Send `request`; the answer's status once its body is read (ValueError if unreadable)."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status, *lines = head.split(b"\r\n")
        length = [int(line[15:]) for line in lines if line[:15].lower() == b"content-length:"]
        if len(length) != 1:
            raise ValueError("an answer without its length")  # never Django's: it sets one
        while len(self.buffer) < length[0]:
            self._read()
        self.buffer = self.buffer[length[0] :]
        return int(status.split()[1])

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def server_cpu_seconds(master: int) -> float:
    """User and system CPU time of the server's master and all its descendants, in seconds."""
    stats = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                # The command may contain spaces or parentheses: the fields follow the last ")".
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            stats[int(proc.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    family, total = {master}, 0
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in stats.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    total = sum(ticks for pid, (_, ticks) in stats.items() if pid in family)
    return total / os.sysconf("SC_CLK_TCK")
