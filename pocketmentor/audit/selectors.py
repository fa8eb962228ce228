"""Reading the audit log: one organization's entries, filtered."""

import datetime as dt

from django.db.models import Q, QuerySet

from pocketmentor.audit.models import Entry


def entries_of(
    *,
    organization,
    action: str = "",
    person: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Entry]:
    """The organization's entries, newest first; `person` matches who did it or to whom."""
    entries = Entry.objects.filter(organization=organization)
    if action:
        entries = entries.filter(action=action)
    if person:
        entries = entries.filter(
            Q(actor_label__icontains=person)
            | Q(target__icontains=person)
            | Q(person__email__icontains=person)
            | Q(person__name__icontains=person)
        )
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries.order_by("-at", "-pk")
