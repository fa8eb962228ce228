"""People in an organization: import, invitations, deactivation (staff pages)."""

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pocketmentor.audit.services import Action, audit_record
from pocketmentor.lib.spreadsheets import csv_response, xlsx_response
from pocketmentor.orgs.models import Membership
from pocketmentor.orgs.permissions import ADMINS, AUTHORS, staff_page
from pocketmentor.people import services
from pocketmentor.people.importing import job_people, job_take, people_plan, template_rows
from pocketmentor.people.models import PeopleFileJob
from pocketmentor.people.selectors import not_invited, not_invited_by_program, people_page

UPLOAD_LIMIT = 5 * 1024 * 1024  # 10,000 people fit in about 1 MB


@require_GET
@staff_page(AUTHORS)
def people_list(request: HttpRequest, organization) -> HttpResponse:
    query = request.GET.get("q", "")
    context = {
        "org": organization,
        "page": people_page(organization=organization, query=query, page=request.GET.get("page")),
        "query": query,
        "params": urlencode({"q": query}) if query else "",
        "is_admin": request.membership.role == Membership.Role.ADMIN,
    }
    if context["is_admin"]:
        programs = list(organization.programs.order_by("-start_date"))
        waiting = not_invited_by_program(organization=organization)
        for program in programs:
            program.not_invited = waiting.get(program.pk, 0)
        context["programs"] = programs
    return render(request, "people/people_list.html", context)


def _stored_key(program) -> str:
    return f"people-import-{program.pk}"


@require_http_methods(["GET", "POST"])
@staff_page(ADMINS)
def people_import(request: HttpRequest, organization, program) -> HttpResponse:
    """Upload a file; a worker reads it, and its page shows what importing it would do."""
    context = {"org": organization, "program": program}
    if request.method == "GET":
        return render(request, "people/people_import.html", context)
    upload = request.FILES.get("file")
    error = None
    if upload is None:
        error = _("Choose a CSV or Excel file to upload.")
    elif upload.size > UPLOAD_LIMIT:
        error = _("The file is larger than 5 MB. Split it and import each part.")
    if error:
        context["error"] = error
        return render(request, "people/people_import.html", context, status=400)
    job = services.people_file_upload(
        data=upload.read(), filename=upload.name or "", program=program,
        language=translation.get_language(),
    )  # fmt: skip
    # Only the last file uploaded in this session can be confirmed.
    request.session[_stored_key(program)] = {"name": upload.name, "job": job.pk.hex}
    return redirect("people:import_job", organization.slug, program.slug, job.pk)


@require_GET
@staff_page(ADMINS)
def people_import_template(request: HttpRequest, organization, program, fmt: str) -> HttpResponse:
    """A file to fill in: the importer's columns, in the person's language, two examples."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = template_rows(translation.get_language() or "")
    name = _("participants-template")
    if fmt == "xlsx":
        return xlsx_response(rows, name, _("Participants"))
    return csv_response(rows, name)  # semicolons and a byte order mark in Norwegian


SLOW = dt.timedelta(minutes=1)  # a file waiting longer: is a worker running?


@require_GET
@staff_page(ADMINS)
def people_import_job(request: HttpRequest, organization, program, job_id) -> HttpResponse:
    """The uploaded file: being read, refused (and why), or what importing it would do.

    While the worker reads, the page says so, with a link to look again; htmx asks every
    two seconds and reloads the page once the file is read.
    """
    job = get_object_or_404(PeopleFileJob, pk=job_id, organization=organization, program=program)
    polled = request.headers.get("HX-Request") == "true"
    context = {"org": organization, "program": program, "job": job}
    if job.state == PeopleFileJob.State.READING:
        if polled:
            return HttpResponse(status=204)  # nothing new: the page asks again
        context["slow"] = timezone.now() - job.created_at > SLOW
        return render(request, "people/people_import_job.html", context)
    if polled:
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    if job.state == PeopleFileJob.State.REFUSED:
        context["error"] = job.error
        return render(request, "people/people_import.html", context)
    plan = people_plan(job_people(job), program=program, invite=True)
    context |= {"plan": plan, "digest": job.pk.hex, "filename": job.filename}
    return render(request, "people/people_preview.html", context)


@require_POST
@staff_page(ADMINS)
def people_import_confirm(request: HttpRequest, organization, program) -> HttpResponse:
    """Import the previewed file; a confirm sent again finds nothing left to import."""
    stored = request.session.get(_stored_key(program))
    people = None
    if stored and stored.get("job") and stored["job"] == request.POST.get("digest"):
        people = job_take(job_id=stored["job"], organization=organization, program=program)
    if people is None:
        messages.error(
            request,
            _(
                "There is no preview to confirm: this import is done already, or another file "
                "was uploaded since. Upload the file again to see what it would change."
            ),
        )
        return redirect("people:import", organization.slug, program.slug)
    del request.session[_stored_key(program)]
    plan = services.people_import(
        program=program, people=people, invite=request.POST.get("invite") == "1"
    )
    audit_record(
        action=Action.PEOPLE_IMPORT, organization=organization, request=request,
        target=f"{program.title}: {stored['name']} ({_summary(plan)})",
    )  # fmt: skip
    messages.success(request, _summary(plan))
    return redirect("people:list", organization.slug)


def _summary(plan) -> str:
    counts = plan.counts
    done = ", ".join(
        part % counts
        for part in [
            ngettext("%(new)s person added", "%(new)s people added", counts["new"]),
            ngettext("%(updated)s updated", "%(updated)s updated", counts["updated"]),
            ngettext("%(unchanged)s unchanged", "%(unchanged)s unchanged", counts["unchanged"]),
            ngettext("%(refused)s row refused", "%(refused)s rows refused", counts["refused"]),
        ]
    )
    text = _("The import is done: %(done)s.") % {"done": done}
    if plan.invitations:
        invited = ngettext(
            "%(count)s invitation is on its way.",
            "%(count)s invitations are on their way.",
            plan.invitations,
        )
        text += " " + invited % {"count": plan.invitations}
    return text


def _participant(organization, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        pk=membership_id,
        organization=organization,
        role=Membership.Role.PARTICIPANT,
    )


def _back(request: HttpRequest, organization) -> HttpResponse:
    """Back to the people page the admin came from: same search, same page."""
    kept = {k: request.POST[k] for k in ("q", "page") if request.POST.get(k)}
    url = reverse("people:list", args=[organization.slug])
    return redirect(f"{url}?{urlencode(kept)}" if kept else url)


@require_POST
@staff_page(ADMINS)
def person_invite(request: HttpRequest, organization, membership_id: int) -> HttpResponse:
    membership = _participant(organization, membership_id)
    try:
        services.person_invite(membership=membership)
    except services.InvitationRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("An invitation is on its way to %(email)s.") % {"email": membership.user.email},
        )
    return _back(request, organization)


@require_http_methods(["GET", "POST"])
@staff_page(ADMINS)
def people_invite(request: HttpRequest, organization, program) -> HttpResponse:
    """Invite a program's participants never invited: the page says who and asks first."""
    if request.method == "GET":
        count = not_invited(organization=organization, program=program).count()
        context = {"org": organization, "program": program, "count": count}
        return render(request, "people/people_invite.html", context)
    count = services.people_invite(program=program)
    if count:
        text = ngettext(
            "An invitation is on its way to %(count)s participant of %(program)s.",
            "Invitations are on their way to %(count)s participants of %(program)s.",
            count,
        )
    else:
        text = _("Every active participant of %(program)s has had an invitation already.")
    messages.success(request, text % {"count": count, "program": program.title})
    return redirect("people:list", organization.slug)


@require_POST
@staff_page(ADMINS)
def person_deactivate(request: HttpRequest, organization, membership_id: int) -> HttpResponse:
    membership = _participant(organization, membership_id)
    services.membership_deactivate(membership=membership)
    audit_record(
        action=Action.PERSON_DEACTIVATE, organization=organization, request=request,
        person=membership.user,
    )  # fmt: skip
    messages.success(
        request,
        _(
            "%(name)s is deactivated: they cannot sign in here any more, and what they did "
            "stays. You can reactivate them."
        )
        % {"name": membership.user},
    )
    return _back(request, organization)


@require_POST
@staff_page(ADMINS)
def person_reactivate(request: HttpRequest, organization, membership_id: int) -> HttpResponse:
    membership = _participant(organization, membership_id)
    services.membership_reactivate(membership=membership)
    audit_record(
        action=Action.PERSON_REACTIVATE, organization=organization, request=request,
        person=membership.user,
    )  # fmt: skip
    messages.success(
        request,
        _("%(name)s is active again and can sign in with a new link.") % {"name": membership.user},
    )
    return _back(request, organization)
