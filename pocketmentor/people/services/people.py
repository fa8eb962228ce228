"""Writes about people in an organization: import, invitations, deactivation."""

import datetime as dt
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from pocketmentor.accounts.models import User
from pocketmentor.accounts.services import login_link_url, person_deactivate
from pocketmentor.learning import pages
from pocketmentor.learning.models import Enrollment
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.people.importing import (
    ImportPlan,
    Outcome,
    PeopleFile,
    PersonPlan,
    chunks,
    file_keep,
    people_plan,
    users_by_email,
)
from pocketmentor.people.models import PeopleFileJob
from pocketmentor.people.selectors import is_active_here, not_invited
from pocketmentor.people.tasks import people_file_read
from pocketmentor.programs.models import Group, Program

BATCH = 1000
INVITE_PAUSE = dt.timedelta(minutes=10)


def people_file_upload(
    *, data: bytes, filename: str, program: Program, language: str
) -> PeopleFileJob:
    """Keep an uploaded people file and ask a worker to read it; the job to follow.

    The file is parsed by the worker (`people.tasks.people_file_read`), never in the request:
    within its bounds a spreadsheet may still take seconds and tens of megabytes.
    """
    job = PeopleFileJob.objects.create(
        organization=program.organization, program=program, filename=filename[:255],
        digest=file_keep(data), language=language, created_at=timezone.now(),
    )  # fmt: skip
    people_file_read.enqueue(job_id=str(job.pk))
    return job


class InvitationRefused(Exception):
    """No invitation was sent; the message says why, in the current language."""


@transaction.atomic
def people_import(*, program: Program, people: PeopleFile, invite: bool = False) -> ImportPlan:
    """Create or update the file's participants in the program, a few queries per thousand.

    The plan is made again here, inside the transaction, so what changed since a preview is
    taken into account and a confirm sent twice changes nothing the second time. With
    `invite`, those never invited get an invitation once the transaction commits.
    """
    # One import per program at a time (PostgreSQL; SQLite writes one at a time anyway).
    Program.objects.select_for_update().only("pk").get(pk=program.pk)
    plan = people_plan(people, program=program, invite=invite)
    now = timezone.now()
    todo = [p for p in plan.people if p.outcome in (Outcome.NEW, Outcome.UPDATED) or p.invite]
    _users_save(todo)
    _memberships_save(todo, program.organization, now)
    _enrollments_save(todo, program, _groups_ensure(program, plan.new_groups), now)
    organization = program.organization
    if any(p.outcome in (Outcome.NEW, Outcome.UPDATED) for p in todo):
        # Names, groups and languages show on kept pages; the command line and the
        # worker change them outside a studio request (learning/pages.py).
        pages.touch_organization(slug=organization.slug)
    _send_on_commit(
        [_invitation(user=_account(p), organization=organization, programs=[program])
         for p in todo if p.invite]
    )  # fmt: skip
    return plan


def _users_save(todo: list[PersonPlan]) -> None:
    fresh = [p for p in todo if p.user is None]
    users = [
        # Unusable, as set_unusable_password makes it, without 40 random draws per person.
        User(email=p.row.email, name=p.row.name, language=p.row.language,
             password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30))
        for p in fresh
    ]  # fmt: skip
    # Another import may add the same address meanwhile: keep theirs, then read all back.
    User.objects.bulk_create(users, batch_size=BATCH, ignore_conflicts=True)
    found = users_by_email([p.row.email for p in fresh])
    for p in fresh:
        p.user = found[p.row.email]
    renamed = []
    for p in todo:
        for change in _changes(p, "name"):
            _account(p).name = change.value
            renamed.append(_account(p))
    User.objects.bulk_update(renamed, ["name"], batch_size=BATCH)  # names differ one by one
    languages = [(_account(p).pk, c.value) for p in todo for c in _changes(p, "language")]
    _update_by_value(User, languages, "language")
    activated = [(_account(p).pk, True) for p in todo if p.activate_user]
    _update_by_value(User, activated, "is_active")


def _account(p: PersonPlan) -> User:
    """The person's account: every person to save has one once `_users_save` made it."""
    if p.user is None:
        raise ValueError(f"No account for {p.row.email} yet")
    return p.user


def _memberships_save(todo: list[PersonPlan], organization: Organization, now) -> None:
    fresh = [
        Membership(
            organization=organization,
            user=p.user,
            role=Membership.Role.PARTICIPANT,
            department=p.row.department or "",
            invited_at=now if p.invite else None,
        )
        for p in todo
        if p.membership is None
    ]
    Membership.objects.bulk_create(fresh, batch_size=BATCH, ignore_conflicts=True)
    known = [(p, p.membership) for p in todo if p.membership is not None]
    departments = [(m.pk, c.value) for p, m in known for c in _changes(p, "department")]
    _update_by_value(Membership, departments, "department")
    _update_by_value(Membership, [(m.pk, now) for p, m in known if p.invite], "invited_at")


def _groups_ensure(program: Program, names: list[str]) -> dict[str, Group]:
    """The program's groups by casefolded name, after creating the new ones."""
    if names:
        Group.objects.bulk_create(
            [Group(program=program, name=name) for name in names], ignore_conflicts=True
        )
    return {group.name.casefold(): group for group in program.groups.all()}


def _enrollments_save(todo: list[PersonPlan], program: Program, groups: dict, now) -> None:
    fresh = [
        Enrollment(
            program=program,
            user=p.user,
            group=groups.get(p.group_key or ""),
            enrolled_at=now,
            is_active=p.active,
        )
        for p in todo
        if p.enrollment is None
    ]
    Enrollment.objects.bulk_create(fresh, batch_size=BATCH, ignore_conflicts=True)
    moved = [
        (p.enrollment.pk, groups[c.value].pk if c.value else None)
        for p in todo
        if p.enrollment is not None
        for c in _changes(p, "group")
    ]
    _update_by_value(Enrollment, moved, "group_id")


def _changes(plan: PersonPlan, field: str) -> list:
    return [change for change in plan.changes if change.field == field]


def _update_by_value(model, pairs: Sequence[tuple[int, object]], field: str) -> None:
    """Set `field` row by row, in one UPDATE per distinct value (departments, groups, …).

    Much faster than bulk_update's CASE per row, and the queries grow with the number of
    departments or groups, not of people.
    """
    by_value: dict[object, list[int]] = {}
    for pk, value in pairs:
        by_value.setdefault(value, []).append(pk)
    for value, pks in by_value.items():
        for chunk in chunks(pks):
            model.objects.filter(pk__in=chunk).update(**{field: value})


@transaction.atomic
def person_invite(*, membership: Membership) -> None:
    """Send the person an invitation with a fresh sign-in link, at most every ten minutes."""
    user = membership.user
    if not is_active_here(membership):
        raise InvitationRefused(
            _("%(name)s is deactivated. Reactivate them first, then send the invitation.")
            % {"name": user}
        )
    now = timezone.now()
    # One conditional update decides, so two clicks at once send one e-mail.
    sent = (
        Membership.objects.filter(pk=membership.pk)
        .filter(Q(invited_at__isnull=True) | Q(invited_at__lte=now - INVITE_PAUSE))
        .update(invited_at=now)
    )
    if not sent:
        membership.refresh_from_db(fields=["invited_at"])
        again = timezone.localtime((membership.invited_at or now) + INVITE_PAUSE)
        raise InvitationRefused(
            _(
                "%(name)s got an invitation less than 10 minutes ago. To protect their inbox, "
                "you can send another after %(time)s."
            )
            % {"name": user, "time": formats.time_format(again, "H:i")}
        )
    membership.invited_at = now
    programs = Program.objects.filter(
        organization_id=membership.organization_id,
        enrollments__user=user,
        enrollments__is_active=True,
    ).order_by("start_date")
    _send_on_commit(
        [_invitation(user=user, organization=membership.organization, programs=list(programs))]
    )


@transaction.atomic
def people_invite(*, program: Program) -> int:
    """Invite the program's active participants who were never invited; how many were.

    A second call finds nobody left: those it invited are marked within the same transaction.
    """
    organization = program.organization
    taking_part = Enrollment.objects.filter(
        program__organization=organization, is_active=True
    ).select_related("program")
    pending = list(
        not_invited(organization=organization, program=program)
        .select_related("user")
        .select_for_update(of=("self",))
        .prefetch_related(Prefetch("user__enrollments", taking_part, to_attr="here"))
    )
    now = timezone.now()
    _update_by_value(Membership, [(m.pk, now) for m in pending], "invited_at")
    _send_on_commit(
        [
            _invitation(
                user=m.user, organization=organization, programs=[e.program for e in m.user.here]
            )
            for m in pending
        ]
    )
    return len(pending)


@transaction.atomic
def membership_deactivate(*, membership: Membership) -> None:
    """End a participant's part in the organization; what they wrote and did stays.

    They cannot sign in any more unless another organization still counts on them; then the
    links and sessions they had stay dead even after a reactivation.
    """
    if membership.role != Membership.Role.PARTICIPANT:
        raise ValueError("Only participants are deactivated; staff lose their role instead.")
    Enrollment.objects.filter(
        user_id=membership.user_id, program__organization_id=membership.organization_id
    ).update(is_active=False)
    if not _active_elsewhere(membership):
        person_deactivate(user_ids=[membership.user_id])


@transaction.atomic
def membership_reactivate(*, membership: Membership) -> None:
    """Let a deactivated participant take part and sign in again, history and all."""
    Enrollment.objects.filter(
        user_id=membership.user_id, program__organization_id=membership.organization_id
    ).update(is_active=True)
    User.objects.filter(pk=membership.user_id).update(is_active=True)


def _active_elsewhere(membership: Membership) -> bool:
    """Staff in another organization, or taking part in one of its programs."""
    user_id, organization_id = membership.user_id, membership.organization_id
    return (
        Membership.objects.filter(user_id=user_id)
        .exclude(organization_id=organization_id)
        .exclude(role=Membership.Role.PARTICIPANT)
        .exists()
        or Enrollment.objects.filter(user_id=user_id, is_active=True)
        .exclude(program__organization_id=organization_id)
        .exists()
    )


def _invitation(
    *, user: User, organization: Organization, programs: list[Program]
) -> EmailMultiAlternatives:
    """The invitation, in the person's language or else the organization's."""
    with translation.override(user.language or organization.language):
        context = {
            "user": user,
            "org": organization,
            "titles": ", ".join(program.title for program in programs),
            "url": login_link_url(user=user),
            "new_link_url": settings.SITE_URL + reverse("accounts:request_link"),
            "days": max(1, settings.SESAME_MAX_AGE // 86400),
        }
        subject = render_to_string("people/email/invitation_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("people/email/invitation.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("people/email/invitation.html", context), "text/html"
        )
    return message


def _send_on_commit(messages: list[EmailMultiAlternatives]) -> None:
    """Send once the transaction commits, over one connection for all of them."""
    if not messages:
        return

    def send() -> None:
        with get_connection() as connection:
            connection.send_messages(messages)

    transaction.on_commit(send)
