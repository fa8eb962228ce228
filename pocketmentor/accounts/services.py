"""Sign-in links: signed, single use, expiring; sent by e-mail in the person's language."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
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


def login_link_request(*, email: str) -> None:
    """Send a fresh link to the active person with this address, if there is one.

    Called after the answer went out (`lib.http.after_response`), so the answer takes the
    same time whether or not the address is known.
    """
    user = User.objects.filter(email=email, is_active=True).first()
    if user is not None:
        login_link_send(user=user)


@transaction.atomic
def person_deactivate(*, user_ids: list[int]) -> None:
    """Stop the people signing in: every link already sent and every session ends for good.

    A sign-in link is signed over the person's password hash (django-sesame), and so is each
    session (Django): a fresh unusable password makes both dead, and a later reactivation
    brings neither back. Only people who are staff nowhere are deactivated, so no password
    anyone uses is lost.
    """
    for user_id in user_ids:  # a fresh random value each: no two people share one
        User.objects.filter(pk=user_id).update(is_active=False, password=make_password(None))


def person_language_set(*, user: User, language: str) -> None:
    """Remember the person's chosen language for their pages and messages."""
    User.objects.filter(pk=user.pk).update(language=language)
