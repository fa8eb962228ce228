"""The organization's audit log, for its admins: filtered, paged, and as CSV."""

from itertools import chain

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from pocketmentor.audit.models import Entry
from pocketmentor.audit.selectors import entries_of
from pocketmentor.audit.services import Action, audit_record
from pocketmentor.lib.spreadsheets import csv_response
from pocketmentor.orgs.permissions import ADMINS, staff_page

PAGE_SIZE = 50


class AuditFilter(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("All actions")), *Entry.Action.choices],
    )
    person = forms.CharField(label=gettext_lazy("Person"), required=False, max_length=254)
    since = forms.DateField(label=gettext_lazy("From"), required=False)
    until = forms.DateField(label=gettext_lazy("To"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date must be on or after the start date."))
        return data


def _entries(request: HttpRequest, organization) -> tuple[AuditFilter, object]:
    form = AuditFilter(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    chosen = form.cleaned_data if form.is_bound else {}
    return form, entries_of(organization=organization, **{k: v for k, v in chosen.items() if v})


@require_GET
@staff_page(ADMINS, members_forbidden=True)
def audit_log(request: HttpRequest, organization) -> HttpResponse:
    form, entries = _entries(request, organization)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "org": organization,
        "form": form,
        "query": query.urlencode(),
        "days": settings.AUDIT_RETENTION_DAYS,
    }
    if entries is None:
        return render(request, "people/audit.html", context, status=400)
    page = Paginator(entries.select_related("person"), PAGE_SIZE).get_page(request.GET.get("page"))
    context["page"] = page
    return render(request, "people/audit.html", context)


@require_GET
@staff_page(ADMINS, members_forbidden=True)
def audit_export(request: HttpRequest, organization) -> HttpResponse:
    form, entries = _entries(request, organization)
    if entries is None:
        context = {"org": organization, "form": form, "days": settings.AUDIT_RETENTION_DAYS}
        return render(request, "people/audit.html", context, status=400)
    audit_record(action=Action.AUDIT_EXPORT, organization=organization, request=request)
    labels = dict(Entry.Action.choices)
    rows = (
        [
            timezone.localtime(entry.at)
            .replace(tzinfo=None)
            .isoformat(sep=" ", timespec="seconds"),
            labels.get(entry.action, entry.action),
            entry.actor_label,
            entry.target,
            entry.address or "",
        ]
        for entry in entries.iterator()
    )
    header = [[_("Time"), _("Action"), _("By"), _("What"), _("Client address")]]
    name = f"{organization.slug}-audit-{timezone.localdate():%Y-%m-%d}"
    return csv_response(chain(header, rows), name)
