"""A person's own data, for the person: what is stored, its export and its erasure."""

from functools import wraps

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, register_converter
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from pocketmentor.accounts import privacy
from pocketmentor.accounts.models import User
from pocketmentor.accounts.services import person_language
from pocketmentor.orgs.models import Membership, Organization


class ExportFormat:
    regex = "json|html"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormat, "export_format")


def person_time_zone(user: User, organization: Organization | None = None) -> str:
    """The organization's time zone, else the person's first organization's, else the default."""
    if organization is not None:
        return organization.time_zone
    membership = user.memberships.select_related("organization").order_by("pk").first()
    return membership.organization.time_zone if membership else settings.TIME_ZONE


def export_response(
    request: HttpRequest, *, person: User, fmt: str, organization: Organization | None = None
) -> HttpResponse:
    """The person's data as a JSON file, or as a readable page in the person's language."""
    data = privacy.person_data(user=person, organization=organization)
    name = f"pocketmentor-data-{person.pk}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "json":
        response = JsonResponse(
            data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2, "ensure_ascii": False}
        )
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    language = person_language(person)
    with translation.override(language):
        context = privacy.readable(data) | {
            "data": data,
            "zone": person_time_zone(person, organization),
        }
        response = render(request, "accounts/data_export.html", context)
    response["Content-Language"] = language
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response


def person_page(view):
    """A page about the signed-in person's own data, in their language."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
        translation.activate(person_language(request.user))
        request.LANGUAGE_CODE = translation.get_language()
        timezone.activate(person_time_zone(request.user))
        return view(request, **kwargs)

    return wrapper


@require_GET
@never_cache
@person_page
def overview(request: HttpRequest) -> HttpResponse:
    data = privacy.person_data(user=request.user)
    written = sum(1 for r in data["responses"] if r["text"])
    context = {"data": data, "written": written, "staff": _is_staff(data)}
    return render(request, "accounts/data.html", context)


@require_GET
@never_cache
@person_page
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    return export_response(request, person=request.user, fmt=fmt)


@require_http_methods(["GET", "POST"])
@never_cache
@person_page
def erase(request: HttpRequest) -> HttpResponse:
    """Confirm, then erase in one POST; the person is signed out and told what happened."""
    if request.method == "GET":
        data = privacy.person_data(user=request.user)
        return render(request, "accounts/erase_confirm.html", {"staff": _is_staff(data)})
    privacy.person_erase(user=request.user)
    logout(request)
    response = render(request, "accounts/erased.html")
    # Leave nothing on this phone: the pages the service worker kept, answers waiting offline.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _is_staff(data: dict) -> bool:
    staff = {Membership.Role.ADMIN, Membership.Role.FACILITATOR}
    return any(m["role"] in staff for m in data["memberships"])


urlpatterns = [
    path("data/", overview, name="overview"),
    path("data/export.<export_format:fmt>", export, name="export"),
    path("data/erase/", erase, name="erase"),
]
