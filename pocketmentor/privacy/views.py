"""A person's own data, for the person: what is stored, its export and its erasure."""

from functools import wraps

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import register_converter
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from pocketmentor.accounts.models import User
from pocketmentor.accounts.services import person_language
from pocketmentor.privacy import services as privacy
from pocketmentor.privacy.registry import Tenant
from pocketmentor.privacy.services import person_time_zone


class ExportFormat:
    regex = "json|html"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# The exports' URLs, the person's (privacy/urls.py) and an admin's, end in .json or .html.
register_converter(ExportFormat, "export_format")


def export_response(
    request: HttpRequest, *, person: User, fmt: str, organization: Tenant | None = None
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
        response = render(request, "privacy/data_export.html", context)
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
    context = {"data": data, "written": written, "staff": privacy.is_staff(data)}
    return render(request, "privacy/data.html", context | privacy.person_frame(request.user))


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
        context = {"staff": privacy.is_staff(data)} | privacy.person_frame(request.user)
        return render(request, "privacy/erase_confirm.html", context)
    privacy.person_erase(user=request.user)
    logout(request)
    response = render(request, "privacy/erased.html")
    # Leave nothing on this phone: the pages the service worker kept, answers waiting offline.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response
