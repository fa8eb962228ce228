"""An organization and a program named on the command line, or which names there are."""

from django.core.management.base import CommandError
from django.shortcuts import get_object_or_404

from pocketmentor.orgs.models import Organization
from pocketmentor.programs.models import Program


def organization_named(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        known = ", ".join(Organization.objects.order_by("slug").values_list("slug", flat=True))
        raise CommandError(f"No organization '{slug}'. Organizations: {known or 'none yet'}.")
    return organization


def program_named(organization: Organization, slug: str) -> Program:
    program = organization.programs.filter(slug=slug).first()
    if program is None:
        known = ", ".join(organization.programs.order_by("slug").values_list("slug", flat=True))
        raise CommandError(
            f"{organization.slug} has no program '{slug}'. Its programs: {known or 'none yet'}."
        )
    return program


def program_of(organization: Organization, slug: str) -> Program:
    """A staff page's `program` URL part (orgs.permissions.url_parts): the organization's
    program of that short name, or 404."""
    programs = Program.objects.select_related("organization")
    return get_object_or_404(programs, organization=organization, slug=slug)
