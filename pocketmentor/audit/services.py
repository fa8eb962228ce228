"""Writing the audit log: `audit_record` from any app, `audit_prune` from the worker."""

import datetime as dt
import ipaddress

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from pocketmentor.audit.models import Entry

Action = Entry.Action
STAFF_ROLES = ("admin", "facilitator")  # orgs.Membership.Role, named here to stay below orgs


def _address(request: HttpRequest | None) -> str | None:
    """The client's address as the rest of the app reads it (REMOTE_ADDR, after the proxies)."""
    raw = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def _label(user) -> str:
    return getattr(user, "email", "") if user is not None else ""


@transaction.atomic
def audit_record(
    *,
    action: str,
    organization=None,
    request: HttpRequest | None = None,
    actor=None,
    person=None,
    target: str = "",
) -> Entry:
    """Append one entry: who (the request's person, else `actor`) did `action` to what.

    `person` is the person the action was about, `target` a short description (a program, a
    file, a key's label). Without a request the actor is `actor`, or the command line.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return Entry.objects.create(
        action=action,
        organization=organization,
        actor=actor,
        actor_label=_label(actor),
        person=person,
        target=(target or _label(person))[:300],
        address=_address(request),
    )


def audit_record_staff(
    *, action: str, person, request: HttpRequest | None = None, actor=None, target: str = ""
) -> list[Entry]:
    """Append one entry to the log of each organization where `person` is staff.

    For what belongs to the person rather than to one organization: signing in, a lockout of
    their account, their two-factor sign-in. Someone who is staff nowhere is logged without
    an organization (the operator sees it in the Django admin).
    """
    organizations = list(
        person.memberships.filter(role__in=STAFF_ROLES).values_list("organization_id", flat=True)
    )
    return [
        Entry.objects.create(
            action=action,
            organization_id=organization_id,
            actor=actor,
            actor_label=_label(actor),
            person=person,
            target=(target or _label(person))[:300],
            address=_address(request),
        )
        for organization_id in organizations or [None]
    ]


def audit_prune(*, now: dt.datetime | None = None) -> int:
    """Remove entries older than AUDIT_RETENTION_DAYS; how many went. The only deletion."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    old = Entry.objects.filter(at__lt=cutoff)
    deleted, _ = models.QuerySet.delete(old)
    return deleted
