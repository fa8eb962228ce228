"""Reads of the people pages: the organization's people, and a program's groups."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from pocketmentor.accounts.models import User
from pocketmentor.learning.models import Enrollment
from pocketmentor.lib.ordering import natural_key
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.programs.models import Group, Program

PAGE_SIZE = 50


@dataclass(frozen=True)
class PersonLine:
    """One person on the people page."""

    membership: Membership
    groups: list[str]
    active: bool

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def is_participant(self) -> bool:
        return self.membership.role == Membership.Role.PARTICIPANT


def people_page(*, organization: Organization, query: str = "", page: Any = 1) -> Page:
    """A page of the organization's people, found by name or e-mail, in three queries."""
    enrollments = Enrollment.objects.filter(program__organization=organization).select_related(
        "group", "program"
    )
    memberships = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related(Prefetch("user__enrollments", enrollments, to_attr="here"))
        .order_by("user__name", "user__email")
    )
    query = query.strip()
    if query:
        memberships = memberships.filter(
            Q(user__name__icontains=query) | Q(user__email__icontains=query)
        )
    found = Paginator(memberships, PAGE_SIZE).get_page(page)
    lines = [_line(membership) for membership in found.object_list]
    found.object_list = lines  # type: ignore[assignment]  # the page shows lines, not rows
    return found


def _line(membership: Membership) -> PersonLine:
    here = membership.user.here  # type: ignore[attr-defined]  # Prefetch(to_attr="here")
    groups = sorted({e.group.name for e in here if e.group}, key=natural_key)
    active = membership.user.is_active and (not here or any(e.is_active for e in here))
    return PersonLine(membership=membership, groups=groups, active=active)


def not_invited(*, organization: Organization, program: Program | None = None):
    """The organization's active participants who never had an invitation; with `program`,
    only those taking part in it."""
    taking_part = Enrollment.objects.filter(
        user=OuterRef("user"), program__organization=organization, is_active=True
    )
    if program is not None:
        taking_part = taking_part.filter(program=program)
    return Membership.objects.filter(
        Exists(taking_part),
        organization=organization,
        role=Membership.Role.PARTICIPANT,
        invited_at__isnull=True,
        user__is_active=True,
    )


def not_invited_by_program(*, organization: Organization) -> dict[int, int]:
    """How many of each program's active participants never had an invitation: one query."""
    uninvited = Membership.objects.filter(
        user=OuterRef("user"),
        organization=organization,
        role=Membership.Role.PARTICIPANT,
        invited_at__isnull=True,
    )
    rows = (
        Enrollment.objects.filter(
            Exists(uninvited),
            program__organization=organization,
            is_active=True,
            user__is_active=True,
        )
        .values("program_id")
        .annotate(count=Count("id"))
    )
    return {row["program_id"]: row["count"] for row in rows}


def is_active_here(membership: Membership) -> bool:
    """Whether the person takes part: they can sign in and are not deactivated here."""
    if not membership.user.is_active:
        return False
    counts = Enrollment.objects.filter(
        user_id=membership.user_id, program__organization_id=membership.organization_id
    ).aggregate(all=Count("pk"), active=Count("pk", filter=Q(is_active=True)))
    return not counts["all"] or bool(counts["active"])


# A program's groups ----------------------------------------------------------------------


@dataclass
class Roster:
    """The program's active participants by group, each with `department` from their membership."""

    groups: list[tuple[Group, list[Enrollment]]]
    ungrouped: list[Enrollment]
    total: int = 0


def roster_of(program: Program) -> Roster:
    """Groups and their members for the groups page: two queries, whatever the numbers."""
    department = Membership.objects.filter(
        organization_id=program.organization_id, user_id=OuterRef("user_id")
    ).values("department")[:1]
    enrollments = list(
        Enrollment.objects.filter(program=program, is_active=True)
        .select_related("user")
        .annotate(department=Coalesce(Subquery(department), Value("")))
        .order_by("user__name", "user__email")
    )
    members: dict[int | None, list[Enrollment]] = {}
    for enrollment in enrollments:
        members.setdefault(enrollment.group_id, []).append(enrollment)
    groups = sorted(program.groups.all(), key=lambda g: natural_key(g.name))
    return Roster(
        groups=[(g, members.get(g.pk, [])) for g in groups],
        ungrouped=members.get(None, []),
        total=len(enrollments),
    )
