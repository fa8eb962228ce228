"""Sign-in links: signed, single use, expiring; sent by e-mail in the person's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from sesame.utils import get_query_string

from pocketmentor.accounts.models import User


def person_language(user: User) -> str:
    """The person's own choice, else their organization's language, else the default."""
    if user.language:
        return user.language
    membership = user.memberships.select_related("organization").first()
    return membership.organization.language if membership else settings.LANGUAGE_CODE


def login_link_url(*, user: User) -> str:
    return settings.SITE_URL + reverse("accounts:link") + get_query_string(user)


def login_link_send(*, user: User) -> None:
    """E-mail a fresh sign-in link once the current transaction commits."""
    with translation.override(person_language(user)):
        context = {
            "user": user,
            "url": login_link_url(user=user),
            "days": settings.SESAME_MAX_AGE // 86400,
        }
        subject = render_to_string("accounts/email/login_link_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("accounts/email/login_link.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("accounts/email/login_link.html", context), "text/html"
        )
    transaction.on_commit(message.send)
