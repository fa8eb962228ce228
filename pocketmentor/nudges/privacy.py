"""The nudges' part of erasing a person (registered in privacy/registry.py).

A person's messages (sent and waiting, with the servers' replies, which may quote their
address), their choices and their phones' push subscriptions all go. Harmless when repeated.
"""

from pocketmentor.nudges.models import Nudge, Preference, PushSubscription
from pocketmentor.privacy import registry


@registry.erase_step
def erase_nudges(user) -> None:
    Nudge.objects.filter(person=user).delete()  # their deliveries with them
    Preference.objects.filter(person=user).delete()
    PushSubscription.objects.filter(person=user).delete()
