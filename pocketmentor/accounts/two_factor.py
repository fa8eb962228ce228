"""Two-factor sign-in: authenticator apps, recovery codes and passkeys (docs/privacy.md).

The first factor is a password or a sign-in link. A person with a second factor is then
asked for it before anything else; an admin of an organization that requires one and has
none is sent to set one up. Signing in with the organization's own account (OpenID
Connect) counts as the provider's own check: no second prompt.

What a session still owes is noted in it at sign-in (`SESSION_KEY`), so the middleware
reads no table on the way to any page.
"""

import secrets

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from pocketmentor.accounts.models import User
from pocketmentor.audit.services import Action, audit_record_staff

SESSION_KEY = "two_factor"
VERIFY, SET_UP, PROVIDER = "verify", "set-up", "provider"
RECOVERY_CODES = 10
# Pages a session that owes its second factor may still open.
OPEN_PATHS = ("/login/", "/logout/", "/account/two-factor/", "/webauthn/", "/language/")


def required_of(user: User) -> bool:
    """Whether an organization the person is an admin of requires a second factor."""
    return user.memberships.filter(role="admin", organization__require_two_factor=True).exists()


@receiver(user_logged_in, dispatch_uid="two_factor_owed")
def _note_what_is_owed(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    backend = getattr(user, "backend", "") or ""
    if backend.endswith("StaffOIDCBackend"):
        request.session[SESSION_KEY] = PROVIDER
    elif user_has_device(user):
        request.session[SESSION_KEY] = VERIFY
    elif required_of(user):
        request.session[SESSION_KEY] = SET_UP
    else:
        request.session.pop(SESSION_KEY, None)


def is_satisfied(request: HttpRequest) -> bool:
    """The session passed a second factor, or the organization's account vouched for it."""
    user = request.user
    verified = getattr(user, "is_verified", None)
    return request.session.get(SESSION_KEY) == PROVIDER or bool(verified and verified())


class SecondFactorMiddleware:
    """Send a session that owes its second factor to give it (or set one up) first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        owed = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if owed in (VERIFY, SET_UP) and not request.path.startswith(OPEN_PATHS):
            if is_satisfied(request):
                request.session.pop(SESSION_KEY)
            else:
                name = "accounts:two_factor_verify" if owed == VERIFY else "accounts:two_factor"
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse(name)}?{query}")
        return self.get_response(request)


def factors_of(user: User) -> dict:
    """The person's confirmed factors: apps, passkeys, and recovery codes left."""
    recovery = StaticDevice.objects.filter(user=user, name="recovery").first()
    return {
        "apps": list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")),
        "passkeys": list(WebAuthnCredential.objects.filter(user=user).order_by("pk")),
        "codes_left": recovery.token_set.count() if recovery else 0,
    }


def totp_device_start(*, user: User) -> TOTPDevice:
    """The app being set up: a new secret, not yet confirmed (one at a time)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="app", confirmed=False)


@transaction.atomic
def totp_device_confirm(
    *, request: HttpRequest, device: TOTPDevice, token: str
) -> list[str] | None:
    """Confirm the app with a code it shows; the session counts as checked by it.

    Return the new recovery codes when this is the person's first factor, else an empty
    list; None when the code is wrong (nothing changes).
    """
    if not device.verify_token(token.replace(" ", "")):
        return None
    first = not user_has_device(device.user)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    audit_record_staff(
        action=Action.TWO_FACTOR, person=device.user, actor=device.user, request=request,
        target="authenticator app added",
    )  # fmt: skip
    return recovery_codes_make(request=request, user=device.user, log=False) if first else []


@transaction.atomic
def recovery_codes_make(*, request: HttpRequest, user: User, log: bool = True) -> list[str]:
    """Replace the person's recovery codes with new ones, each good once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="recovery")
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    if log:
        audit_record_staff(
            action=Action.TWO_FACTOR, person=user, actor=user, request=request,
            target="new recovery codes",
        )  # fmt: skip
    return [f"{code[:5]} {code[5:]}" for code in codes]


def second_factor_check(*, request: HttpRequest, token: str) -> bool:
    """Check an app's code or a recovery code (spent once used) for the signed-in person."""
    token = token.replace(" ", "").strip()
    for device in devices_for_user(request.user, for_verify=True):
        if isinstance(device, WebAuthnCredential):
            continue
        if device.verify_token(token):
            otp_login(request, device)
            request.session.pop(SESSION_KEY, None)
            return True
    return False


@transaction.atomic
def factor_remove(*, request: HttpRequest, user: User, kind: str, pk: int) -> bool:
    """Remove one of the person's apps or passkeys; without any left, the codes go too."""
    model = {"app": TOTPDevice, "passkey": WebAuthnCredential}[kind]
    deleted, _ = model.objects.filter(user=user, pk=pk).delete()
    if not deleted:
        return False
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists() and not (
        WebAuthnCredential.objects.filter(user=user).exists()
    ):
        StaticDevice.objects.filter(user=user).delete()  # codes alone are no second factor
    audit_record_staff(
        action=Action.TWO_FACTOR, person=user, actor=user, request=request,
        target=f"{kind} removed",
    )  # fmt: skip
    return True


def passkey_added(*, request: HttpRequest, user: User) -> None:
    """Note a new passkey in the audit log."""
    audit_record_staff(
        action=Action.TWO_FACTOR, person=user, actor=user, request=request,
        target="passkey added",
    )  # fmt: skip
