"""The two ways a nudge reaches a person: e-mail over SMTP and Web Push.

Errors come out as `Retry` (try again later: a busy or unreachable server, a 4xx reply) or
`Refused` (trying again will not help: a 5xx reply to this message). A push subscription the
push service no longer knows (404 or 410) is deleted.
"""

import base64
import contextlib
import hashlib
import json
import re
import smtplib
from dataclasses import replace
from email.utils import formatdate, parseaddr
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.utils import timezone
from django.utils.module_loading import import_string

from pocketmentor.nudges.messages import Message
from pocketmentor.nudges.models import Nudge, PushSubscription
from pocketmentor.nudges.preferences import unsubscribe_url

PUSH_TTL = 60 * 60 * 24  # seconds a push service keeps a message for a phone that is off


# How a connection kept open between messages ends when the server closed it meanwhile.
DROPPED = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError)


class Retry(Exception):
    """The message did not go out now; it may later."""


class Refused(Exception):
    """The message was refused for good."""


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "pocketmentor"


def message_id(nudge: Nudge) -> str:
    """Derived from the nudge's key: every attempt at one nudge carries the same Message-ID."""
    digest = hashlib.sha256(nudge.key.encode()).hexdigest()[:24]
    return f"<nudge.{nudge.kind}.{digest}@{_host()}>"


def topic(nudge: Nudge) -> str:
    """Web Push Topic (at most 32 URL-safe characters): a resend replaces a pending copy."""
    digest = hashlib.sha256(nudge.key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


class BuiltOnceEmail(EmailMultiAlternatives):
    """An e-mail whose MIME message is built once: checked before the server is asked, then
    sent as built (Django's backend asks for it again)."""

    _built = None

    def message(self, *args, **kwargs):
        if self._built is None:
            self._built = super().message(*args, **kwargs)
        return self._built


def list_unsubscribe(nudge: Nudge) -> str:
    unsubscribe = f"<{unsubscribe_url(nudge.person)}>"
    if settings.NUDGES_UNSUBSCRIBE_EMAIL:
        address = settings.NUDGES_UNSUBSCRIBE_EMAIL
        unsubscribe = f"<mailto:{address}?subject=unsubscribe%20{nudge.person.pk}>, {unsubscribe}"
    return unsubscribe


def email_for(
    nudge: Nudge, message: Message, *, to: str = "", headers: dict | None = None
) -> EmailMultiAlternatives:
    email = BuiltOnceEmail(
        subject=message.subject,
        body=message.text,
        to=[to or nudge.person.email],
        headers=headers
        or {
            "Message-ID": message_id(nudge),
            "List-Unsubscribe": list_unsubscribe(nudge),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(message.html, "text/html")
    for name, content, mimetype in message.attachments:
        email.attach(name, content, mimetype)
    return email


# A plain address, as nearly all are: it goes into the prepared e-mail as it is.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
# Stand-ins in a prepared e-mail: plain ASCII that no encoding changes and no text holds.
_STAND_INS = {
    "to": "pm-to-4f1c@pm-stand-in.invalid",
    "date": "pm-date-4f1c",
    "message_id": "pm-message-id-4f1c",
    "unsubscribe": "pm-unsubscribe-4f1c",
}


SEVEN_BIT = b"\r\nContent-Transfer-Encoding: 7bit\r\n"


class Prepared:
    """An e-mail built once, as bytes, for everyone who gets the same message: the person's
    address, headers and the personal parts of its text and HTML are put in by replacing
    stand-ins, instead of building and encoding a MIME message for each (most of a worker's
    time per message).

    Only where that gives the e-mail Django would build: each stand-in is found in the built
    e-mail as often as in the text, the address is a plain one, the personal values hold no
    carriage return, and no line grows past SMTP's 998 characters; otherwise `fill` says None
    and the e-mail is built the usual way.
    (Long headers, the personal List-Unsubscribe, are not folded: one line of at most 998.)
    """

    def __init__(self, nudge: Nudge, shared: Message, text_stand_ins, html_stand_ins):
        self.text = {s: f"pm-t{n}-4f1c" for n, s in enumerate(text_stand_ins)}
        self.html = {s: f"pm-h{n}-4f1c" for n, s in enumerate(html_stand_ins)}
        text, html = shared.text, shared.html
        for stand_in, token in self.text.items():
            text = text.replace(stand_in, token)
        for stand_in, token in self.html.items():
            html = html.replace(stand_in, token)
        headers = {
            "Date": _STAND_INS["date"],
            "Message-ID": _STAND_INS["message_id"],
            "List-Unsubscribe": _STAND_INS["unsubscribe"],
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        }
        email = email_for(
            nudge, replace(shared, text=text, html=html), to=_STAND_INS["to"], headers=headers
        )
        self.sender = sanitize_address(email.from_email, email.encoding or settings.DEFAULT_CHARSET)
        self.data = email.message().as_bytes(linesep="\r\n")
        expected = [(_STAND_INS[name].encode(), 1) for name in _STAND_INS]
        expected += [(t.encode(), shared.text.count(s)) for s, t in self.text.items()]
        expected += [(t.encode(), shared.html.count(s)) for s, t in self.html.items()]
        self.usable = all(self.data.count(token) == n for token, n in expected)

    def fill(self, nudge: Nudge, message: Message) -> bytes | None:
        address = nudge.person.email
        if not self.usable or not PLAIN_ADDRESS.fullmatch(address):
            return None
        values = {
            _STAND_INS["to"]: address,
            _STAND_INS["date"]: formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
            _STAND_INS["message_id"]: message_id(nudge),
            _STAND_INS["unsubscribe"]: list_unsubscribe(nudge),
        }
        for stand_in, token in self.text.items():
            values[token] = message.text_values[stand_in]
        for stand_in, token in self.html.items():
            values[token] = message.html_values[stand_in]
        if any("\r" in value for value in values.values()):
            return None
        data = self.data
        if not all(value.isascii() for value in values.values()):
            # Parts built from ASCII text say 7bit; with a name like Åse in them, 8bit (as
            # Django would say of the part that holds it; of the other, also true).
            data = data.replace(SEVEN_BIT, b"\r\nContent-Transfer-Encoding: 8bit\r\n")
        for token, value in values.items():
            data = data.replace(token.encode(), value.replace("\n", "\r\n").encode())
        if max(map(len, data.split(b"\r\n"))) > 998:
            return None
        return data


class EmailChannel:
    """One SMTP connection for a batch, opened when the first message goes and kept open for
    the rest; a connection the server dropped is opened again once for the message at hand."""

    def __init__(self):
        self.connection = None
        self.broken: str = ""  # the server cannot be reached: the rest of the batch waits
        self.prepared: dict[int, tuple[Message, Prepared | None]] = {}  # by shared message
        # Filled-in bytes go to an SMTP server through Django's own backend; the console and
        # file backends of a laptop, the tests' memory and any backend of one's own (which
        # may do more with a message) take the e-mail built the usual way.
        self.smtp = import_string(settings.EMAIL_BACKEND) is SMTPBackend

    def send_nudge(self, nudge: Nudge, message: Message) -> None:
        """Send a nudge's e-mail: filled in from the one prepared for its shared message where
        that can be, else built as Django builds it."""
        shared = message.shared
        if shared is not None and self.smtp:
            if id(shared) not in self.prepared:
                try:
                    prepared = Prepared(nudge, shared, message.text_values, message.html_values)
                except (ValueError, UnicodeError):  # refused below, with its reason
                    prepared = None
                self.prepared[id(shared)] = (shared, prepared)
            prepared = self.prepared[id(shared)][1]
            data = prepared.fill(nudge, message) if prepared else None
            if data is not None:
                address = nudge.person.email
                self._transmit(lambda: self.connection.connection.sendmail(
                    prepared.sender, [address], data
                ))  # fmt: skip
                return
        self.send(email_for(nudge, message))

    def send(self, email: EmailMultiAlternatives) -> None:
        try:
            # Built before the server is asked: a line break in a header is this message's
            # own fault, refused for good, and must not break the connection for the others.
            email.message()
            for address in email.recipients():
                sanitize_address(address, email.encoding or settings.DEFAULT_CHARSET)
        except (ValueError, UnicodeError) as error:  # BadHeaderError is a ValueError
            raise Refused(f"The message cannot be built: {error}") from error
        self._transmit(lambda: self.connection.send_messages([email]))

    def _transmit(self, send) -> None:
        if self.broken:
            raise Retry(self.broken)
        for attempt in (1, 2):
            self._open()
            try:
                send()
            except smtplib.SMTPRecipientsRefused as error:
                codes = [code for code, _ in error.recipients.values()]
                raise (Refused if all(code >= 500 for code in codes) else Retry)(
                    _describe(error)
                ) from error
            except smtplib.SMTPResponseException as error:
                if isinstance(error, smtplib.SMTPSenderRefused) or error.smtp_code < 500:
                    raise Retry(_describe(error)) from error
                raise Refused(_describe(error)) from error
            except (OSError, smtplib.SMTPException) as error:
                self._drop()
                if attempt == 1 and isinstance(error, DROPPED):
                    continue  # the server closed a connection kept open: once more, anew
                self.broken = _describe(error)
                raise Retry(self.broken) from error
            return

    def _open(self) -> None:
        try:
            if self.connection is None:
                self.connection = get_connection(
                    fail_silently=False, timeout=settings.NUDGES_SMTP_TIMEOUT
                )
                self.connection.open()  # kept open: send_messages then leaves it so
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            self.broken = _describe(error)
            raise Retry(self.broken) from error

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # the connection is gone either way
                self.connection.close()
        self.connection = None

    def close(self) -> None:
        self._drop()


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
            for code, reply in error.recipients.values()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode(errors="replace")
        return f"SMTP {error.smtp_code} {reply}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def push_configured() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY)


def push_endpoint_allowed(endpoint: str) -> bool:
    """Only the browsers' push services: the server posts to the endpoint a browser gives."""
    return any(fnmatchcase(endpoint, pattern) for pattern in settings.PUSH_SERVICES)


class PushChannel:
    """Web Push with VAPID: payload encrypted for the subscription (aes128gcm) by pywebpush."""

    def __init__(self):
        import requests
        from py_vapid import Vapid

        self.vapid = Vapid.from_string(private_key=settings.VAPID_PRIVATE_KEY)
        self.subject = (
            settings.VAPID_SUBJECT or f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"
        )
        self.session = requests.Session()

    def send(self, subscriptions: list[PushSubscription], nudge: Nudge, message: Message) -> int:
        """Send to each of the person's subscriptions; how many took it. Gone ones are deleted."""
        from pywebpush import WebPushException, webpush

        payload = json.dumps(
            {"title": message.title, "body": message.body, "url": message.url, "tag": nudge.key}
        )
        delivered, errors = 0, []
        for subscription in subscriptions:
            try:
                webpush(
                    subscription.info,
                    payload,
                    vapid_private_key=self.vapid,
                    vapid_claims={"sub": self.subject},
                    ttl=PUSH_TTL,
                    timeout=10,
                    headers={"Topic": topic(nudge), "Urgency": "normal"},
                    requests_session=self.session,
                )
            except WebPushException as error:
                status = error.response.status_code if error.response is not None else None
                if status in (404, 410):
                    subscription.delete()
                    continue
                errors.append(f"push {status or ''} {error.message}".strip())
                continue
            except Exception as error:  # requests' connection errors and the like
                errors.append(f"push {type(error).__name__}")
                continue
            delivered += 1
            PushSubscription.objects.filter(pk=subscription.pk).update(last_used_at=timezone.now())
        if not delivered and errors:
            raise Retry("; ".join(errors))
        return delivered

    def close(self) -> None:
        self.session.close()
