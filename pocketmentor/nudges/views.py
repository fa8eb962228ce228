"""Pages of the nudges: a person's preferences (no sign-in), push subscriptions, the studio."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pocketmentor.nudges import selectors, services
from pocketmentor.nudges.channels import push_configured, push_endpoint_allowed
from pocketmentor.nudges.forms import PreferenceForm, RulesForm
from pocketmentor.nudges.models import Nudge, NudgeRules, PushSubscription
from pocketmentor.nudges.preferences import person_from_token, preference_token
from pocketmentor.nudges.rules import rules_for
from pocketmentor.orgs.models import Membership
from pocketmentor.orgs.permissions import ADMINS, AUTHORS, staff_page

GET_POST = ["GET", "POST"]


def _person_page(request: HttpRequest, token: str):
    """The person a preferences link names, in their language and organization's colours."""
    person = person_from_token(token)
    if person is None:
        return None, None
    membership = person.memberships.select_related("organization").first()
    org = membership.organization if membership else None
    translation.activate(person.language or (org.language if org else settings.LANGUAGE_CODE))
    request.LANGUAGE_CODE = translation.get_language()
    return person, org


@require_http_methods(GET_POST)
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Works without signing in: the signed link in every message is the key."""
    person, org = _person_page(request, token)
    if person is None:
        return render(request, "nudges/link_broken.html", status=404)
    form = PreferenceForm(request.POST or None, instance=services.preference_for(person))
    if request.method == "POST" and form.is_valid():
        services.preference_update(person=person, **form.cleaned_data)
        messages.success(request, _("Your choices are saved."))
        return redirect("nudges:preferences", token)
    context = {
        "person": person,
        "org": org,
        "form": form,
        "token": token,
        "push_offered": push_configured(),
        "push": push_configured() and request.user.is_authenticated and request.user == person,
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        "devices": PushSubscription.objects.filter(person=person).count(),
        "push_text": {
            "unsupported": _("This browser cannot show notifications."),
            "denied": _("Notifications are blocked. Allow them in the browser's settings."),
            "on": _("Notifications are on for this phone."),
            "failed": _("Notifications could not be turned on. Try again later."),
        },
    }
    return render(request, "nudges/preferences.html", context, status=400 if form.errors else 200)


@csrf_exempt  # the signed token is the credential; mail clients post without cookies
@require_http_methods(GET_POST)
def one_click_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: a POST unsubscribes at once. A GET (a person or a link checker) only asks."""
    person, org = _person_page(request, token)
    if person is None:
        return render(request, "nudges/link_broken.html", status=404)
    if request.method == "POST":
        services.unsubscribe(person=person)
        return render(request, "nudges/unsubscribed.html", {"org": org, "token": token})
    return render(request, "nudges/unsubscribe.html", {"org": org, "token": token})


@require_GET
@login_required
def my_preferences(request: HttpRequest) -> HttpResponse:
    return redirect("nudges:preferences", preference_token(request.user))


def _json_body(request: HttpRequest):
    """The JSON the phone's script posts; ValueError for any other body (a form's included)."""
    if request.content_type != "application/json":
        raise ValueError("not JSON")
    return json.loads(request.body)


def _subscription(request: HttpRequest) -> dict | None:
    try:
        data = _json_body(request)
        endpoint, keys = data["endpoint"], data.get("keys") or {}
        URLValidator(schemes=["https", "http"])(endpoint)
    except (ValueError, KeyError, TypeError, ValidationError):
        return None
    if not isinstance(keys, dict):
        return None
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(p256dh, str) and isinstance(auth, str)):
        return None
    if len(endpoint) > 1000 or len(p256dh) > 200 or len(auth) > 100:
        return None
    if not push_endpoint_allowed(endpoint):
        return None
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}


@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """The participant's phone, after they pressed the button and allowed notifications."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "sign in first"}, status=403)
    subscription = _subscription(request)
    if subscription is None:
        return JsonResponse({"error": "not a push subscription"}, status=400)
    services.push_subscription_save(
        person=request.user, user_agent=request.headers.get("user-agent", ""), **subscription
    )
    return JsonResponse({"ok": True}, status=201)


@require_POST
def push_unsubscribe(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": "sign in first"}, status=403)
    try:
        endpoint = _json_body(request)["endpoint"]
    except (ValueError, KeyError, TypeError):
        endpoint = None
    if not isinstance(endpoint, str):
        return JsonResponse({"error": "no endpoint"}, status=400)
    services.push_subscription_delete(person=request.user, endpoint=endpoint)
    return JsonResponse({"ok": True})


# The studio ------------------------------------------------------------------------------


def _is_admin(request: HttpRequest) -> bool:
    return request.membership.role == Membership.Role.ADMIN


def _rules_page(request, organization, program, form: RulesForm, *, status: int = 200):
    own = bool(program and NudgeRules.objects.filter(program=program).exists())
    if not _is_admin(request):
        for field in form.fields.values():
            field.disabled = True
    context = {"org": organization, "program": program, "form": form, "own_rules": own}
    if program is not None:
        counts = selectors.state_counts(program=program)
        context |= {
            "log": selectors.nudge_log(
                program=program,
                state=request.GET.get("state", ""),
                page=request.GET.get("page", 1),
            ),
            "state": request.GET.get("state", ""),
            "states": [(value, label, counts[value]) for value, label in Nudge.State.choices],
            "failures": selectors.recent_failures(program=program),
        }
    context["may_change"] = _is_admin(request)
    return render(request, "nudges/studio.html", context, status=status)


def _org_rules(organization) -> NudgeRules:
    return NudgeRules.objects.filter(organization=organization, program=None).first() or (
        NudgeRules(organization=organization)
    )


@require_GET
@staff_page(AUTHORS)
def program_page(request: HttpRequest, organization, program) -> HttpResponse:
    """The program's rules, and what was sent to whom and when; admins change the rules."""
    return _rules_page(request, organization, program, RulesForm(instance=rules_for(program)))


@require_POST
@staff_page(ADMINS)
def program_rules(request: HttpRequest, organization, program) -> HttpResponse:
    page = reverse("nudges:program", args=[organization.slug, program.slug])
    if request.POST.get("inherit"):
        services.rules_inherit(program=program)
        messages.success(request, _("The program follows the organization's rules."))
        return redirect(page)
    instance = NudgeRules.objects.filter(program=program).first()
    if instance is None:
        instance = rules_for(program)
        instance.pk, instance.program = None, program
        instance._state.adding = True
    form = RulesForm(request.POST, instance=instance)
    if not form.is_valid():
        return _rules_page(request, organization, program, form, status=400)
    services.rules_save(rules=instance, **form.cleaned_data)
    messages.success(request, _("The rules are saved. Messages not sent yet follow them."))
    return redirect(page)


@require_GET
@staff_page(AUTHORS)
def organization_page(request: HttpRequest, organization) -> HttpResponse:
    """The organization's rules: every program follows them unless it has its own."""
    return _rules_page(request, organization, None, RulesForm(instance=_org_rules(organization)))


@require_POST
@staff_page(ADMINS)
def organization_rules(request: HttpRequest, organization) -> HttpResponse:
    instance = _org_rules(organization)
    form = RulesForm(request.POST, instance=instance)
    if not form.is_valid():
        return _rules_page(request, organization, None, form, status=400)
    services.rules_save(rules=instance, **form.cleaned_data)
    messages.success(request, _("The rules are saved. Messages not sent yet follow them."))
    return redirect("nudges:organization", organization.slug)
