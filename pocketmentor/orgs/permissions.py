"""Who may do what in an organization: the one place the studio and staff pages ask."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from pocketmentor.accounts import two_factor
from pocketmentor.orgs.models import Membership, Organization

ADMINS = (Membership.Role.ADMIN,)
AUTHORS = (Membership.Role.ADMIN, Membership.Role.FACILITATOR)

# What a part of a staff page's URL names, found in the organization: {"program": finder}.
# The apps that own those things register their finder (programs: the program by short
# name), so this layer never imports them; a finder answers 404 for anything else.
url_parts: dict[str, Callable[[Organization, str], object]] = {}


def author_membership(*, user, org_slug: str, roles=AUTHORS) -> Membership:
    """The person's membership in one of `roles` of the organization, or 404.

    404, not 403: people outside an organization learn nothing of what it has.
    """
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=org_slug, role__in=roles, user__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def staff_page(roles=AUTHORS, *, members_forbidden: bool = False):
    """Open a staff page of `/studio/<org>/…` for the organization's people in `roles` only.

    The view gets the organization after the request; a `program` URL part becomes the
    organization's program of that short name (404 for any other; see `url_parts`). With
    `members_forbidden`, the organization's other members get 403 (they know it exists);
    everyone else 404.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args, **kwargs) -> HttpResponse:
            try:
                membership = author_membership(user=request.user, org_slug=org, roles=roles)
            except Http404:
                if (
                    members_forbidden
                    and Membership.objects.filter(
                        user=request.user, organization__slug=org, user__is_active=True
                    ).exists()
                ):
                    raise PermissionDenied from None
                raise
            organization = membership.organization
            if (
                organization.require_two_factor
                and membership.role == Membership.Role.ADMIN
                and not two_factor.is_satisfied(request)
            ):
                # Required since this person signed in: set one up (or give it) first.
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('accounts:two_factor')}?{query}")
            translation.activate(request.user.language or organization.language)
            request.LANGUAGE_CODE = translation.get_language()
            timezone.activate(organization.time_zone)
            request.organization, request.membership = organization, membership
            for name, find in url_parts.items():
                if name in kwargs:
                    kwargs[name] = find(organization, kwargs[name])
            return view(request, organization, *args, **kwargs)

        return wrapper

    return decorator


def studio_organizations(*, user) -> list[Membership]:
    """The organizations whose studio the person may open."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.select_related("organization")
        .filter(user=user, role__in=AUTHORS)
        .order_by("organization__name")
    )
