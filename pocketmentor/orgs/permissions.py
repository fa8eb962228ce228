"""Who may do what in an organization: the one place the studio and staff pages ask."""

from django.http import Http404

from pocketmentor.orgs.models import Membership

AUTHORS = (Membership.Role.ADMIN, Membership.Role.FACILITATOR)


def author_membership(*, user, org_slug: str) -> Membership:
    """The person's membership as an admin or facilitator of the organization, or 404.

    404, not 403: people outside an organization learn nothing of what it has.
    """
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=org_slug, role__in=AUTHORS)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def studio_organizations(*, user) -> list[Membership]:
    """The organizations whose studio the person may open."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.select_related("organization")
        .filter(user=user, role__in=AUTHORS)
        .order_by("organization__name")
    )
