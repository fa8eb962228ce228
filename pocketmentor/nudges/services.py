"""Writes of the nudges: a person's choices, their phones' push subscriptions, the rules."""

from django.db import transaction
from django.utils import timezone

from pocketmentor.accounts.models import User
from pocketmentor.nudges.models import Nudge, NudgeRules, Preference, PushSubscription
from pocketmentor.programs.models import Program

# Rows `plan()` makes again by itself; feedback messages are planned once, so they are kept.
REPLANNED = [Nudge.Kind.RELEASE, Nudge.Kind.REMINDER, Nudge.Kind.DIGEST, Nudge.Kind.SEMINAR]
TIMING = {"time_zone", "reminder_weekday", "reminder_time"}


def preference_for(person: User) -> Preference:
    """The person's choices, made with the defaults the first time they are asked for."""
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


@transaction.atomic
def push_subscription_save(
    *, person: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """A phone that allowed notifications: its endpoint is the person's, and push is on.

    An endpoint belongs to one browser, so one already known moves to whoever subscribed
    last on it; subscribing again only refreshes its keys.
    """
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"person": person, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]},
    )
    if not preference_for(person).push:
        preference_update(person=person, push=True)
    return subscription


def push_subscription_delete(*, person: User, endpoint: str) -> None:
    """The phone turned notifications off: only the person's own endpoint is forgotten."""
    PushSubscription.objects.filter(person=person, endpoint=endpoint).delete()


@transaction.atomic
def rules_save(*, rules: NudgeRules, **fields) -> NudgeRules:
    """Save an organization's or a program's rules; messages not sent yet follow them."""
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()
    return rules


@transaction.atomic
def rules_inherit(*, program: Program) -> None:
    """The program drops its own rules and follows its organization's again."""
    NudgeRules.objects.filter(program=program).delete()
