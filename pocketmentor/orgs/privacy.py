"""The organizations' part of a person's data: memberships in the export, departments blanked
on erasure, and the person's time zone (privacy/registry.py)."""

from pocketmentor.orgs.models import Membership
from pocketmentor.privacy import registry
from pocketmentor.privacy.services import organization_data


@registry.section("memberships")
def memberships(user, organization) -> list[dict]:
    rows = Membership.objects.filter(user=user).select_related("organization")
    if organization is not None:
        rows = rows.filter(organization=organization)
    return [
        {
            "organization": organization_data(m.organization),
            "role": m.role,
            "department": m.department,
        }
        for m in rows.order_by("organization__name", "pk")
    ]


@registry.tie
def member_elsewhere(user, organization) -> bool:
    return Membership.objects.filter(user=user).exclude(organization=organization).exists()


@registry.erase_step
def erase_memberships(user) -> None:
    """Memberships stay, anonymous, so an organization's head counts stay right."""
    Membership.objects.filter(user=user).exclude(department="").update(department="")


@registry.time_zone
def first_organization_zone(user) -> str | None:
    membership = user.memberships.select_related("organization").order_by("pk").first()
    return membership.organization.time_zone if membership else None


registry.label("role", lambda: dict(Membership.Role.choices))
registry.staff_roles.update({Membership.Role.ADMIN, Membership.Role.FACILITATOR})
