"""People's choices: signed links to their preferences, and the writes that change them."""

from functools import cache

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pocketmentor.accounts.models import User
from pocketmentor.nudges.models import Nudge, Preference

SALT = "pocketmentor.nudges.preferences"
# Rows `plan()` makes again by itself; feedback messages are planned once, so they are kept.
REPLANNED = [Nudge.Kind.RELEASE, Nudge.Kind.REMINDER, Nudge.Kind.DIGEST, Nudge.Kind.SEMINAR]
TIMING = {"time_zone", "reminder_weekday", "reminder_time"}


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


def preference_for(person: User) -> Preference:
    preference, _ = Preference.objects.get_or_create(person=person)
    return preference


@transaction.atomic
def preference_update(*, person: User, **fields) -> Preference:
    """Save a person's choices; they apply to every message not sent yet, at once."""
    Preference.objects.get_or_create(person=person)
    preference = Preference.objects.select_for_update().get(person=person)
    timing_changed = any(getattr(preference, name) != fields[name] for name in TIMING & set(fields))
    for name, value in fields.items():
        setattr(preference, name, value)
    preference.updated_at = timezone.now()
    preference.save()
    waiting = Nudge.objects.filter(person=person, state=Nudge.State.PENDING)
    if not preference.enabled:
        waiting.update(state=Nudge.State.SKIPPED, error="unsubscribed")
    elif not preference.reminders:
        waiting.filter(kind=Nudge.Kind.REMINDER).update(
            state=Nudge.State.SKIPPED, error="reminders_off"
        )
    if timing_changed:
        # Planned with the old times: the next planning round makes them again with the new.
        waiting.filter(kind__in=REPLANNED).delete()
    return preference


def unsubscribe(*, person: User) -> Preference:
    return preference_update(person=person, enabled=False)
