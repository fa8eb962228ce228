"""A person's own data: export and erasure, by the person or an admin on request.

These pages fulfil a person's request made to their organization (right of access, right to
erasure): only the organization's admins open them, only for its members, and the export
covers only what this organization holds. See docs/privacy.md.
"""

import logging

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from pocketmentor.audit.services import Action, audit_record
from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.orgs.models import Membership
from pocketmentor.orgs.permissions import ADMINS, staff_page
from pocketmentor.privacy import services as privacy
from pocketmentor.privacy.views import export_response

logger = logging.getLogger(__name__)
admin_page = staff_page(ADMINS)


def _member(organization, user_id: int) -> Membership:
    """The person's membership of this organization, or 404 for anyone else."""
    return get_object_or_404(
        Membership.objects.select_related("user"), organization=organization, user_id=user_id
    )


def _context(request, organization, membership: Membership) -> dict:
    person = membership.user
    return {
        "org": organization,
        "membership": membership,
        "person": person,
        "erased": privacy.is_erased(person),
        "elsewhere": privacy.other_organizations(user=person, organization=organization),
        "is_self": person.pk == request.user.pk,
    }


@require_GET
@never_cache
@admin_page
def person_data(request: HttpRequest, organization, user_id: int) -> HttpResponse:
    membership = _member(organization, user_id)
    here = Q(enrollment__program__organization=organization)
    counts = Response.objects.filter(here, enrollment__user_id=user_id).aggregate(
        answers=Count("id"), written=Count("id", filter=~Q(text=""))
    )
    enrollments = (
        Enrollment.objects.filter(user_id=user_id, program__organization=organization)
        .select_related("program", "group")
        .order_by("-program__start_date")
    )
    context = _context(request, organization, membership) | counts | {"enrollments": enrollments}
    return render(request, "people/person_data.html", context)


@require_GET
@never_cache
@admin_page
def person_export(request: HttpRequest, organization, user_id: int, fmt: str) -> HttpResponse:
    person = _member(organization, user_id).user
    logger.info(
        "Admin %s exported the data of person %s held by %s, on request",
        request.user.pk,
        person.pk,
        organization.slug,
    )
    audit_record(
        action=Action.PERSON_EXPORT, organization=organization, request=request, person=person
    )
    return export_response(request, person=person, fmt=fmt, organization=organization)


@require_http_methods(["GET", "POST"])
@never_cache
@admin_page
def person_erase(request: HttpRequest, organization, user_id: int) -> HttpResponse:
    """Confirm, then erase on the person's request: never someone in another organization."""
    membership = _member(organization, user_id)
    context = _context(request, organization, membership)
    person = membership.user
    if request.method == "GET":
        return render(request, "people/person_data_erase.html", context)
    if context["erased"]:  # a replayed POST: nothing more to do
        messages.info(request, _("This person's data was already erased."))
        return redirect("people:person_data", organization.slug, person.pk)
    if context["is_self"] or context["elsewhere"]:
        return render(request, "people/person_data_erase.html", context, status=409)
    try:
        privacy.person_erase(user=person, organization=organization)
    except privacy.OtherOrganizations:  # joined another organization since the check
        context["elsewhere"] = True
        return render(request, "people/person_data_erase.html", context, status=409)
    logger.info(
        "Admin %s erased person %s in %s, on request", request.user.pk, person.pk, organization.slug
    )
    # The person's address is gone; the entry names them by their number only.
    audit_record(
        action=Action.PERSON_ERASE, organization=organization, request=request, person=person,
        target=f"#{person.pk}",
    )  # fmt: skip
    messages.success(request, _("The person's data is erased."))
    return redirect("people:person_data", organization.slug, person.pk)
