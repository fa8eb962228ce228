"""Staff sign-in attempts, limited by django-axes (settings AXES_*, docs/privacy.md).

Axes counts wrong passwords for one account from one client address; at the limit that pair
is locked for a while, and each try during the lock starts the wait again. These are the
hooks it calls: the client's address, the account's name, and the page that says when to
try again.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import time_format


def client_address(request: HttpRequest) -> str:
    """The client's address, as every other limit and log of the app reads it.

    REMOTE_ADDR holds the client's address once the proxy middleware has read the trusted
    hops of X-Forwarded-For; axes must never read that header on its own.
    """
    return request.META.get("REMOTE_ADDR", "")


# The longest e-mail address there is, and so the longest account name; axes keeps the name
# in a column of 255 characters, which PostgreSQL enforces.
LONGEST_NAME = 254


def account_name(request: HttpRequest, credentials: dict | None) -> str:
    """The e-mail address tried, as the sign-in compares it (case and spaces aside).

    A longer name is no one's account; it is counted under its first 254 characters.
    """
    name = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(name).strip().lower()[:LONGEST_NAME]


def locked_out(request: HttpRequest, response=None, credentials: dict | None = None):
    """Say that sign-in is paused for this account from here, and until when."""
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    context = {"until": time_format(until, "H:i"), "minutes": settings.AXES_COOLOFF_MINUTES}
    answer: HttpResponse = render(request, "accounts/locked_out.html", context, status=429)
    answer["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return answer
