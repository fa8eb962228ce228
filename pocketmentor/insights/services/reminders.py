"""The dashboard's reminder to a participant at risk."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pocketmentor.accounts.services import login_link_url, person_language
from pocketmentor.insights.models import (
    Engagement,
)
from pocketmentor.learning.models import Enrollment

REMIND_PAUSE = dt.timedelta(days=1)


class ReminderRefused(Exception):
    """The person got a reminder less than a day ago."""


@transaction.atomic
def reminder_send(*, enrollment: Enrollment) -> None:
    """E-mail a participant at risk a sign-in link: at most once a day per person."""
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
    user, program = enrollment.user, enrollment.program
    with translation.override(person_language(user)):
        context = {
            "user": user,
            "program": program,
            "url": login_link_url(user=user),
            "days": settings.SESAME_MAX_AGE // 86400,
        }
        message = EmailMultiAlternatives(
            subject=" ".join(
                render_to_string("insights/email/reminder_subject.txt", context).split()
            ),
            body=render_to_string("insights/email/reminder.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("insights/email/reminder.html", context), "text/html"
        )
    transaction.on_commit(message.send)


def remind_refused_message(user) -> str:
    return _("%(name)s got a reminder less than a day ago.") % {"name": user}
