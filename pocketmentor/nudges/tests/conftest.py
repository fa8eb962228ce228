"""Real servers on loopback for the nudges' tests: an SMTP server (aiosmtpd) and a push service."""

import asyncio
import base64
import datetime as dt
import email
import email.policy
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection

from pocketmentor.bench.load import free_port
from pocketmentor.conftest import OSLO

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own claim")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=OSLO)


def at(moment: dt.datetime):
    """Travel to a moment, the clock running on from there."""
    return time_machine.travel(moment, tick=True)


class Inbox:
    """An SMTP server's mailbox. `replies` answers the next DATA commands (451, 250 …);
    `hold` keeps the reply to the n-th message back until `release` is set; `delay` (seconds)
    makes every reply slow; `drop_after` closes the connection once it has taken that many
    messages, as a server that limits messages per connection does; `gone_after` closes it and
    stops listening (`restart` listens again). `connections`: the client ends (address, port)
    that sent messages."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.replies: list[str] = []
        self.hold: int | None = None
        self.delay = 0.0
        self.holding = threading.Event()
        self.release = threading.Event()
        self.received = 0
        self.attempts: list[email.message.EmailMessage] = []  # accepted or not
        self.lock = threading.Lock()
        self.drop_after: int | None = None
        self.gone_after: int | None = None  # stops listening too: the server is gone
        self.connections: set = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received += 1
            number = self.received
            reply = self.replies.pop(0) if self.replies else "250 OK"
            self.attempts.append(message)
            self.connections.add(session.peer)
            drop = self.drop_after is not None and number == self.drop_after
            gone = self.gone_after is not None and number == self.gone_after
        if drop or gone:  # closed just after this reply
            asyncio.get_running_loop().call_soon(server.transport.close)
        if gone:
            asyncio.get_running_loop().call_soon(self.controller.server.close)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold is not None and number == self.hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 Closing, try again later"
        if reply.startswith("250"):
            with self.lock:
                self.messages.append(message)
        return reply

    def restart(self) -> None:
        """Listen again on the same port, after `gone_after`."""
        self.controller.stop()
        self.gone_after = None
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def count(self) -> Counter:
        """(recipient, subject) → how many copies arrived."""
        return Counter((m["To"], m["Subject"]) for m in self.messages)

    def clear(self) -> None:
        self.messages.clear()


@pytest.fixture
def inbox(settings):
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port, box.controller = port, controller
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.NUDGES_SMTP_TIMEOUT = 10
    yield box
    box.release.set()
    box.controller.stop()


def parts(message) -> tuple[str, str]:
    """The text and HTML of a message (attachments aside)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


class PushService:
    """A push service on loopback: answers each POST with the next status (201 by default)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = service.statuses.pop(0) if service.statuses else 201
                service.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(settings):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    settings.VAPID_PRIVATE_KEY = b64(raw)
    settings.VAPID_PUBLIC_KEY = b64(public)
    settings.VAPID_SUBJECT = "mailto:ops@pocketmentor.example"
    service = PushService()
    settings.PUSH_SERVICES = [f"{service.url}/*"]
    yield service
    service.close()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Browser:
    """A browser's side of a push subscription: its keys, and decryption of what arrives."""

    def __init__(self, endpoint: str):
        import os

        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.subscription = {
            "endpoint": endpoint,
            "keys": {"p256dh": b64(public), "auth": b64(self.auth)},
        }

    def read(self, body: bytes) -> dict:
        import http_ece

        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def program(org):
    """Six weeks from Monday 2 March 2026, 07:30 in Oslo: weeks 5 and 6 open after the switch
    to summer time (29 March)."""
    from pocketmentor.conftest import make_program

    return make_program(org, weeks=6)


@pytest.fixture
def worker():
    from pocketmentor.nudges.worker import Worker

    return Worker(name="test-worker")
