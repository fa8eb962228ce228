"""Writes about a program's groups and seminars: each change a facilitator makes is one function.

A seminar with no groups chosen is for every group of the program; the functions here keep
that from happening by accident (see `group_delete`).
"""

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from pocketmentor.learning.models import Enrollment
from pocketmentor.lib.ordering import natural_key
from pocketmentor.orgs.departments import department_key
from pocketmentor.orgs.models import Membership
from pocketmentor.people.grouping import split_into_groups
from pocketmentor.programs.models import Group, Program, Seminar, SeminarUnit, Unit


class GroupStillInvited(Exception):
    """The group is the only one invited to these seminars.

    Deleting it would leave them with no group chosen, which means every group: a seminar
    for one group would silently become one for all.
    """

    def __init__(self, seminars: Sequence[Seminar]):
        super().__init__(", ".join(s.title for s in seminars))
        self.seminars = seminars


@transaction.atomic
def group_create(*, program: Program, name: str) -> Group:
    return Group.objects.create(program=program, name=name.strip())


@transaction.atomic
def group_rename(*, group: Group, name: str) -> Group:
    group.name = name.strip()
    group.save(update_fields=["name"])
    return group


@transaction.atomic
def group_delete(*, group: Group) -> int:
    """Delete the group; its members stay in the program without a group. Returns how many."""
    lonely = list(
        Seminar.objects.filter(pk__in=group.seminars.values("pk"))
        .annotate(invited=Count("groups"))
        .filter(invited=1)
        .order_by("starts_at")
    )
    if lonely:
        raise GroupStillInvited(lonely)
    members = group.enrollments.update(group=None)
    group.delete()
    return members


@transaction.atomic
def enrollment_move(*, program: Program, enrollment_ids: Iterable[int], group: Group | None) -> int:
    """Move the program's enrollments among `enrollment_ids` into `group` (None: no group)."""
    if group is not None and group.program_id != program.pk:
        raise ValueError("The group belongs to another program.")
    return Enrollment.objects.filter(program=program, pk__in=list(enrollment_ids)).update(
        group=group
    )


@transaction.atomic
def groups_split(*, program: Program, size: int, only_ungrouped: bool) -> list[Group]:
    """Place the program's active participants in groups of about `size`, mixing departments.

    Everyone, or only those without a group. Groups that nobody is left in are filled first,
    in their order, so splitting everyone again reuses "Group 1…"; the rest are new groups
    numbered after the existing ones, named in the program's language.
    """
    enrollments = Enrollment.objects.filter(program=program, is_active=True)
    if only_ungrouped:
        enrollments = enrollments.filter(group__isnull=True)
    department = Membership.objects.filter(
        organization_id=program.organization_id, user_id=OuterRef("user_id")
    ).values("department")[:1]
    rows = list(
        enrollments.annotate(department=Coalesce(Subquery(department), Value("")))
        .order_by("user__name", "pk")
        .values_list("pk", "department")
    )
    # "Oppvekst" and " oppvekst" typed in two imports are one department.
    buckets = split_into_groups([(pk, department_key(dep)) for pk, dep in rows], size)
    if not buckets:
        return []
    staying = Enrollment.objects.filter(program=program, is_active=True, group__isnull=False)
    staying = staying.exclude(pk__in=enrollments.values("pk"))
    existing = sorted(program.groups.all(), key=lambda g: natural_key(g.name))
    occupied = set(staying.values_list("group_id", flat=True))
    targets = [g for g in existing if g.pk not in occupied][: len(buckets)]
    number = max([len(existing)] + [_trailing_number(g.name) for g in existing])
    taken = {g.name for g in existing}
    with translation.override(program.language):
        while len(targets) < len(buckets):
            number += 1
            name = _("Group %(number)s") % {"number": number}
            if name not in taken:
                targets.append(Group.objects.create(program=program, name=name))
    for group, members in zip(targets, buckets, strict=True):
        Enrollment.objects.filter(pk__in=members).update(group=group)
    return targets


def _trailing_number(name: str) -> int:
    found = re.search(r"(\d+)\s*$", name)
    return int(found.group(1)) if found else 0


@transaction.atomic
def seminar_save(
    *,
    program: Program,
    seminar: Seminar | None = None,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    agenda: str = "",
    groups: Sequence[Group] = (),
    prework: Sequence[Unit] = (),
    followup: Sequence[Unit] = (),
) -> Seminar:
    """Create or change a seminar, with the groups taking part (none: all) and its weeks."""
    if any(g.program_id != program.pk for g in groups) or any(
        u.program_id != program.pk for u in [*prework, *followup]
    ):
        raise ValueError("Groups and weeks must belong to the seminar's program.")
    if {u.pk for u in prework} & {u.pk for u in followup}:
        raise ValueError("A week cannot be both pre-work and follow-up.")
    seminar = seminar or Seminar(program=program)
    seminar.title, seminar.place, seminar.agenda = title.strip(), place.strip(), agenda
    seminar.starts_at, seminar.ends_at = starts_at, ends_at
    seminar.save()
    seminar.groups.set(groups)
    seminar.unit_links.all().delete()
    SeminarUnit.objects.bulk_create(
        [SeminarUnit(seminar=seminar, unit=u, kind=SeminarUnit.Kind.PREWORK) for u in prework]
        + [SeminarUnit(seminar=seminar, unit=u, kind=SeminarUnit.Kind.FOLLOWUP) for u in followup]
    )
    return seminar


@transaction.atomic
def seminar_delete(*, seminar: Seminar) -> None:
    seminar.delete()
