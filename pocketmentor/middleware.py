"""The project's own middleware.

`BadInputMiddleware`: refuse requests that carry NUL bytes or bytes that are not UTF-8,
before any view reads them. `PrivacyHeadersMiddleware`: what browsers may use, and that a
signed-in person's pages are theirs alone.

A NUL cannot be stored in PostgreSQL text and means nothing in a name, an address or a search;
bytes that are not UTF-8 would reach the code as replacement characters. Either way the
request is not one a browser or an integration sends, so it gets a plain 400 instead of
reaching a view (where it could raise, and answer 500).
"""

import re
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from pocketmentor.accounts.sessions import phone_key
from pocketmentor.insights import api


def _bad_bytes(raw: bytes) -> bool:
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _bad_query(query: str) -> bool:
    """A query string (or url-encoded body) whose keys or values hold NUL or non-UTF-8 bytes."""
    # The WSGI server hands the query string over as latin-1; its raw bytes are what was sent.
    raw = query.encode("latin-1", errors="replace")
    return _bad_bytes(unquote_to_bytes(raw.replace(b"+", b" ")))


def _bad_text(text: str) -> bool:
    return "\x00" in text


# A JSON string's zero character, written as the escape \u0000: one not itself escaped (an
# even number of backslashes before it, none included).
_JSON_ZERO = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def bad_input(request: HttpRequest) -> bool:
    """True when the path, query string, headers, form fields or a JSON body hold NUL (as a byte
    or as JSON's \\u0000) or bytes that are not UTF-8."""
    # Django keeps bytes of the path that are not UTF-8 as %XX escapes: decoding finds them.
    if _bad_bytes(unquote_to_bytes(request.path)):
        return True
    if _bad_query(request.META.get("QUERY_STRING", "")):
        return True
    for name, value in request.META.items():
        header = name.startswith("HTTP_") and isinstance(value, str)
        if header and _bad_bytes(value.encode("latin-1", errors="replace")):
            return True
    if request.method in ("POST", "PUT", "PATCH"):
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded":
            try:
                body = request.body
            except Exception:  # noqa: BLE001 - too large: Django answers that itself later
                return False
            return _bad_bytes(unquote_to_bytes(body.replace(b"+", b" ")))
        if content_type == "multipart/form-data":
            try:
                fields, files = request.POST, request.FILES
            except Exception:  # noqa: BLE001 - a broken body: Django answers that itself later
                return False
            for key, values in fields.lists():
                if _bad_text(key) or any(_bad_text(v) or "\ufffd" in v for v in values):
                    return True
            return any(_bad_text(f.name or "") for f in files.values())
        if content_type == "application/json":
            try:
                body = request.body
            except Exception:  # noqa: BLE001 - too large: Django answers that itself later
                return False
            return _bad_bytes(body) or bool(_JSON_ZERO.search(body))
    return False


class BadInputMiddleware:
    """Answer 400 to requests that hold NUL bytes or invalid UTF-8 anywhere the app reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if bad_input(request):
            if "X-Experience-API-Version" in request.headers:  # an xAPI client: its error shape
                return api.error(400, "The request holds a zero byte or text that is not UTF-8.")
            return HttpResponseBadRequest(
                _(
                    "This request holds characters that are not allowed (a zero byte or text "
                    "that is not UTF-8). Go back, remove them and try again."
                ),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


# Nothing here uses these; a page (or anything injected into one) may not ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb", "xr-spatial-tracking",
    )
)  # fmt: skip


# Names the signed-in session to the phone's service worker (learning/templates/learning/sw.js),
# which keeps the pages it saw under that name; "none": nobody is signed in.
PERSON_HEADER = "X-Pocketmentor-Person"


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every answer. On every page made for the person whose session it
    read: `Cache-Control: private, no-store`, so no shared cache (a proxy, a CDN) keeps one
    person's page for another, and the browser keeps none on a shared phone (its disk cache,
    its back button's copies); and `X-Pocketmentor-Person`, so the service worker keeps its
    copies for that session alone (docs/privacy.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # A page that read the session says Vary: Cookie (SessionMiddleware): it is someone's.
        personal = "cookie" in response.get("Vary", "").lower()
        if personal and "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        # An outage answer (5xx) may not know who is signed in, and a file the same for
        # everyone (kept by shared caches) is nobody's: they say nothing.
        public = "public" in response.get("Cache-Control", "")
        if personal and response.status_code < 500 and not public:
            response[PERSON_HEADER] = phone_key(request) or "none"
        return response
