"""Staff sign-in with the organization's own accounts (OpenID Connect), when configured.

Only people who already exist, with an admin or facilitator membership, are matched by their
e-mail address; nobody is ever created from a sign-in. See docs/privacy.md.
"""

from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from pocketmentor.orgs.permissions import AUTHORS


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """Sign in existing admins and facilitators whose e-mail the provider vouches for."""

    def verify_claims(self, claims: dict) -> bool:
        verified = str(claims.get("email_verified", True)).lower() != "false"
        return bool(claims.get("email")) and verified and super().verify_claims(claims)

    def filter_users_by_claims(self, claims: dict):
        email = (claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(
            email__iexact=email, is_active=True, memberships__role__in=AUTHORS
        ).distinct()

    def create_user(self, claims: dict):
        raise SuspiciousOperation("OpenID Connect never creates people.")

    def update_user(self, user, claims: dict):
        return user  # the provider's name never overwrites the one the organization keeps

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
