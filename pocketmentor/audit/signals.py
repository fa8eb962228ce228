"""Staff sign-ins and lockouts, written to the audit log as they happen."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from pocketmentor.audit.services import STAFF_ROLES, Action, audit_record_staff

METHODS = {
    "PasswordBackend": "password",
    "LinkBackend": "link",
    "StaffOIDCBackend": "organization account",
}


@receiver(user_logged_in, dispatch_uid="audit_staff_sign_in")
def staff_signed_in(sender, request, user, **kwargs) -> None:
    if not user.memberships.filter(role__in=STAFF_ROLES).exists():
        return  # participants' sign-ins are theirs, not the organization's business
    backend = getattr(user, "backend", "") or ""
    method = METHODS.get(backend.rsplit(".", 1)[-1], backend.rsplit(".", 1)[-1])
    audit_record_staff(
        action=Action.SIGN_IN, person=user, actor=user, request=request, target=method
    )


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def account_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """The account someone guessed passwords for; the guesser is known only by address."""
    person = get_user_model().objects.filter(email__iexact=username or "").first()
    if person is not None:
        audit_record_staff(action=Action.LOCKOUT, person=person, request=request)
