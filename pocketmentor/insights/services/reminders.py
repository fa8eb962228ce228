"""The dashboard's reminder to a participant at risk."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pocketmentor.insights.models import Engagement
from pocketmentor.insights.signals import reminder_asked
from pocketmentor.learning.models import Enrollment

REMIND_PAUSE = dt.timedelta(days=1)


class ReminderRefused(Exception):
    """No reminder now: the person got one less than a day ago, or the nudge rules say no
    (the message, when there is one, says which)."""


@transaction.atomic
def reminder_send(*, enrollment: Enrollment) -> None:
    """Remind a participant at risk, at most once a day per person: the nudges app plans the
    message (`insights.signals.reminder_asked`), so it keeps the person's choices, the working
    hours, the reminder cap and the unsubscribe link."""
    now = timezone.now()
    since = now - REMIND_PAUSE
    Engagement.objects.get_or_create(
        enrollment=enrollment, defaults={"program": enrollment.program}
    )
    person = Engagement.objects.filter(enrollment__user=enrollment.user_id)
    if person.filter(reminded_at__gt=since).exists():
        raise ReminderRefused
    sent = (
        Engagement.objects.filter(pk=enrollment.pk)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=since))
        .update(reminded_at=now)
    )
    if not sent:
        raise ReminderRefused
    answers = [answer for _receiver, answer in reminder_asked.send(
        sender=Engagement, enrollment=enrollment, now=now
    )]  # fmt: skip
    if not answers:
        raise ReminderRefused(_("Reminders cannot be sent: no messaging is set up."))
    refusal = next((answer for answer in answers if answer), "")
    if refusal:
        raise ReminderRefused(refusal)


def remind_refused_message(user, error: ReminderRefused | None = None) -> str:
    if error is not None and error.args:
        return str(error.args[0])
    return _("%(name)s got a reminder less than a day ago.") % {"name": user}


@dataclass
class Reminded:
    """What a reminder to several people did: who gets one, and who not, with why."""

    planned: list = field(default_factory=list)  # the enrollments reminded
    skipped: list = field(default_factory=list)  # (enrollment, why), in the order asked


def reminders_send(*, enrollments) -> Reminded:
    """Remind each of `enrollments` as `reminder_send` does, one at a time: every nudge rule
    applies to each (their choices, working hours, the cap, unsubscribing), and a refusal
    for one leaves the others. A second call within the day plans nothing again."""
    done = Reminded()
    for enrollment in enrollments:
        try:
            reminder_send(enrollment=enrollment)
        except ReminderRefused as error:
            done.skipped.append((enrollment, remind_refused_message(enrollment.user, error)))
        else:
            done.planned.append(enrollment)
    return done
