"""Pages for two-factor sign-in: set up and remove factors, and give one after signing in."""

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from pocketmentor.accounts import two_factor

APP_KEY = "two_factor_app"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if safe else ""


def _unchecked(request: HttpRequest) -> HttpResponse | None:
    """Someone with a second factor manages factors only once this session gave one."""
    if user_has_device(request.user) and not two_factor.is_satisfied(request):
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")
    return None


@never_cache
@login_required
@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    if refused := _unchecked(request):
        return refused
    context = two_factor.factors_of(request.user) | {
        "required": two_factor.required_of(request.user),
        "owed": request.session.get(two_factor.SESSION_KEY) == two_factor.SET_UP,
        "next": _next(request),
    }
    return render(request, "accounts/two_factor.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def app_set_up(request: HttpRequest) -> HttpResponse:
    if refused := _unchecked(request):
        return refused
    device = TOTPDevice.objects.filter(
        pk=request.session.get(APP_KEY), user=request.user, confirmed=False
    ).first()
    if request.method == "GET" or device is None:
        device = two_factor.totp_device_start(user=request.user)
        request.session[APP_KEY] = device.pk
        form = CodeForm()
    else:
        form = CodeForm(request.POST)
        if form.is_valid():
            codes = two_factor.totp_device_confirm(
                request=request, device=device, token=form.cleaned_data["code"]
            )
            if codes is not None:
                del request.session[APP_KEY]
                messages.success(request, _("Your authenticator app is set up."))
                if codes:
                    return _codes_page(request, codes)
                return redirect(_next(request) or "accounts:two_factor")
            form.add_error(
                "code",
                _(
                    "That code is not right. Type the 6 digits the app shows now; if it keeps "
                    "failing, check that the phone's clock is set automatically."
                ),
            )
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": mark_safe(  # noqa: S308 - segno writes the SVG from the device's own URL
            segno.make(device.config_url, error="m").svg_inline(
                scale=4, title=_("QR code for your authenticator app")
            )
        ),
        "next": _next(request),
    }
    status = 400 if form.is_bound else 200
    return render(request, "accounts/two_factor_app.html", context, status=status)


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    context = {"codes": codes, "next": _next(request)}
    return render(request, "accounts/two_factor_codes.html", context)


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if refused := _unchecked(request):
        return refused
    if not user_has_device(request.user):
        messages.error(request, _("Add an authenticator app or a passkey first."))
        return redirect("accounts:two_factor")
    return _codes_page(request, two_factor.recovery_codes_make(request=request, user=request.user))


@login_required
@require_POST
def remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if refused := _unchecked(request):
        return refused
    if two_factor.factor_remove(request=request, user=request.user, kind=kind, pk=pk):
        messages.success(request, _("Removed. It can no longer be used to sign in."))
    return redirect("accounts:two_factor")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Ask the signed-in person for their second factor."""
    if two_factor.is_satisfied(request) or not user_has_device(request.user):
        return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.second_factor_check(request=request, token=form.cleaned_data["code"]):
            return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
        form.add_error(
            "code",
            _(
                "That code is not right. Type the 6 digits your authenticator app shows now, "
                "or one of your recovery codes."
            ),
        )
    context = {
        "form": form,
        "next": _next(request),
        "passkeys": two_factor.factors_of(request.user)["passkeys"],
    }
    return render(
        request, "accounts/two_factor_verify.html", context, status=400 if form.is_bound else 200
    )
