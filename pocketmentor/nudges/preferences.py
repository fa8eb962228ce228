"""Signed links to a person's preferences and one-click unsubscribe; the writes are in services."""

from functools import cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

from pocketmentor.accounts.models import User

SALT = "pocketmentor.nudges.preferences"


def preference_token(person: User) -> str:
    """The person's id signed with the secret key: no sign-in needed to use it. It does not
    expire, as unsubscribe links in old messages must keep working (RFC 8058)."""
    return signing.Signer(salt=SALT).sign(str(person.pk))


def person_from_token(token: str) -> User | None:
    try:
        pk = int(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@cache
def _path(name: str) -> str:
    """The URL with a slot for the token: reversed once, not for each of 100,000 messages."""
    return reverse(f"nudges:{name}", args=["TOKEN"]).replace("TOKEN", "{}")


def preferences_url(person: User) -> str:
    return settings.SITE_URL + _path("preferences").format(preference_token(person))


def unsubscribe_url(person: User) -> str:
    return settings.SITE_URL + _path("unsubscribe").format(preference_token(person))
