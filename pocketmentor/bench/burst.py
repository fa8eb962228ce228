"""A Monday-morning burst with the database cut: 200 participants answer at once against a
real server on PostgreSQL, reached through a TCP proxy that cuts every connection for five
seconds mid-burst. Each client retries as the phone's outbox does (on a 5xx or a connection
error, with backoff), so at the end every answer must be stored exactly once, counted by its
idempotency key. `make burst`; the figures are JSON lines like the rest of the bench.
"""

import http.client
import random
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.utils import timezone

from pocketmentor.bench import Figure, generate
from pocketmentor.bench.database import database_url
from pocketmentor.bench.load import HOST, manage, serve, server_env, session_cookies
from pocketmentor.bench.pages import participants, program_path
from pocketmentor.bench.proxy import CuttableProxy
from pocketmentor.learning.models import Response
from pocketmentor.programs.models import Activity

PARTICIPANTS = 200
CUT_SECONDS = 5
GIVE_UP = 120  # seconds a client keeps trying, as a phone would for much longer


class Client(threading.Thread):
    """One phone: posts its answer until the server says it is stored (a redirect)."""

    def __init__(self, *, port: int, path: str, cookie: str, fields: dict, start: threading.Event):
        super().__init__(daemon=True)
        self.port, self.path, self.cookie, self.fields = port, path, cookie, fields
        self.start_signal = start
        self.attempts, self.unavailable, self.failures = 0, 0, 0
        self.stored_at: float | None = None
        self.began = 0.0

    def run(self) -> None:
        self.start_signal.wait()
        self.began = time.monotonic()
        delay = 0.25
        while time.monotonic() - self.began < GIVE_UP:
            self.attempts += 1
            try:
                status = self._post()
            except OSError:
                status = 0  # the connection failed or was cut: try again
                self.failures += 1
            if status in (302, 303):
                self.stored_at = time.monotonic()
                return
            if status == 503:
                self.unavailable += 1
            elif status and status < 500:
                return  # refused on content: the phone would show it, not retry
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not secrecy
            delay = min(delay * 2, 4)

    def _post(self) -> int:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request(
                "POST", self.path, body=urlencode(self.fields),
                headers={"Cookie": self.cookie,
                         "Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()


def measure(*, folder: Path, progress: Callable[[str], None]) -> list[Figure]:
    """Seed the municipality, serve it through the proxy, answer, cut, count."""
    progress("burst: generating the municipality")
    generate.seed("municipality")
    enrollments = participants(PARTICIPANTS)
    program = enrollments[0].program
    week = program.week_at(timezone.now())
    activity = Activity.objects.get(
        unit__program=program, unit__number=week, kind=Activity.Kind.REFLECTION
    )
    Response.objects.filter(activity=activity).delete()  # every answer in the burst is new
    path = program_path(enrollments[0])
    progress("burst: signing in the participants")
    cookies = session_cookies([e.user for e in enrollments], path)
    db = connection.settings_dict
    with CuttableProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) as proxy:
        through_proxy = database_url(db | {"HOST": "127.0.0.1", "PORT": str(proxy.port)})
        env = server_env(through_proxy, folder)
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        with serve(env, 2, folder) as server:
            port = int(server.url.rsplit(":", 1)[1])
            keys = [str(uuid.uuid4()) for _ in enrollments]
            start = threading.Event()
            clients = [
                Client(port=port, path=f"{path}activities/{activity.pk}/", cookie=cookie,
                       fields=_fields(activity, key, cookie), start=start)
                for cookie, key in zip(cookies, keys, strict=True)
            ]  # fmt: skip
            for client in clients:
                client.start()
            progress(f"burst: {len(clients)} participants answer at once")
            began = time.monotonic()
            start.set()
            while sum(c.stored_at is not None for c in clients) < len(clients) // 4:
                time.sleep(0.01)
            progress(f"burst: the database connection is cut for {CUT_SECONDS} s")
            proxy.cut()
            cut_at = time.monotonic()
            time.sleep(CUT_SECONDS)
            proxy.restore()
            restored_at = time.monotonic()
            for client in clients:
                client.join(GIVE_UP + 30)
            ended = time.monotonic()
    stored = Response.objects.filter(key__in=keys)
    once = stored.values("key").distinct().count()
    after = [c.stored_at - restored_at for c in clients if c.stored_at and c.stored_at > cut_at]
    waits = sorted((c.stored_at or ended) - began for c in clients)
    return [
        Figure("burst.answers", len(clients), "answers"),
        Figure("burst.stored_once", once, "answers"),
        Figure("burst.stored_twice", stored.count() - once, "answers"),
        Figure("burst.lost", len(clients) - once, "answers"),
        Figure("burst.unavailable_503", sum(c.unavailable for c in clients), "responses"),
        Figure("burst.connection_errors", sum(c.failures for c in clients), "requests"),
        Figure("burst.attempts", sum(c.attempts for c in clients), "requests"),
        Figure("burst.cut_seconds", CUT_SECONDS, "s"),
        Figure("burst.first_stored_after_restore_s", round(min(after, default=0), 2), "s"),
        Figure("burst.seconds", round(ended - began, 1), "s"),
        Figure("burst.p50_stored_s", round(waits[len(waits) // 2], 2), "s"),
        Figure("burst.max_stored_s", round(waits[-1], 2), "s"),
    ]


def _fields(activity: Activity, key: str, cookie: str) -> dict:
    token = dict(part.split("=", 1) for part in cookie.split("; "))["csrftoken"]
    prefix = f"a{activity.pk}-"
    return {
        "csrfmiddlewaretoken": token,
        f"{prefix}key": key,
        f"{prefix}text": "Jeg spurte først, og lyttet.",
    }
