"""The sign-in e-mail travels over real SMTP to a server on loopback."""

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from django.test import Client


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()


def test_sign_in_link_arrives_over_smtp_and_works(
    ann, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/login/new/", {"email": "ann@fjordvik.example"})
    [envelope] = smtp_inbox.messages
    assert envelope.rcpt_tos == ["ann@fjordvik.example"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "Innloggingslenken din til Pocketmentor"
    text, html = (part.get_content() for part in message.iter_parts())
    assert "Hei Ann" in text and "Hei Ann" in html
    token = re.search(r"/login/\?t=([\w-]+)", text)[1]
    client = Client()
    client.post("/login/", {"t": token})
    assert client.session["_auth_user_id"] == str(ann.pk)
