"""A person's own data: everything stored about them (export) and its erasure.

`person_data` gathers the export from small section functions, one per kind of data, each a
fixed number of queries. An app that stores more about a person adds one function
`(user, organization) -> list` to `SECTIONS` (and, when it keeps text or links that
identify the person, a step `(user) -> None` to `ERASE_STEPS`); the JSON and HTML exports
and the erasure then cover it. See docs/privacy.md.
"""

import logging
from collections import Counter
from collections.abc import Callable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pocketmentor.accounts.models import Session, User
from pocketmentor.accounts.services import person_language
from pocketmentor.insights.services import records_erase, records_of
from pocketmentor.learning.models import Enrollment, Feedback, Reaction, Response, Supporter
from pocketmentor.nudges.privacy import erase_nudges
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.programs.models import Activity

logger = logging.getLogger(__name__)

FORMAT = "pocketmentor-person-data"
VERSION = 1
ERASED_DOMAIN = "invalid"  # RFC 2606: never delivers mail


class OtherOrganizations(Exception):
    """The person also belongs to another organization: one organization may not erase them."""


# Sections --------------------------------------------------------------------------------


def _person(user: User) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "language": user.language,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
    }


def _organization(org: Organization) -> dict:
    return {"name": org.name, "slug": org.slug}


def _program(program) -> dict:
    return {"title": program.title, "slug": program.slug, "time_zone": program.time_zone}


def _within(rows: QuerySet, organization: Organization | None, path: str) -> QuerySet:
    """Only the rows of `organization` (reached by `path`), or every row without one."""
    return rows if organization is None else rows.filter(**{path: organization})


def _week(unit) -> dict:
    return {"number": unit.number, "title": unit.title}


def memberships(user: User, organization: Organization | None) -> list[dict]:
    rows = _within(
        Membership.objects.filter(user=user).select_related("organization"),
        organization,
        "organization",
    )
    return [
        {
            "organization": _organization(m.organization),
            "role": m.role,
            "department": m.department,
        }
        for m in rows.order_by("organization__name", "pk")
    ]


def enrollments(user: User, organization: Organization | None) -> list[dict]:
    rows = _within(
        Enrollment.objects.filter(user=user).select_related("program__organization", "group"),
        organization,
        "program__organization",
    )
    return [
        {
            "organization": _organization(e.program.organization),
            "program": _program(e.program),
            "group": e.group.name if e.group else None,
            "enrolled_at": e.enrolled_at,
            "is_active": e.is_active,
        }
        for e in rows.order_by("-program__start_date", "pk")
    ]


def responses(user: User, organization: Organization | None) -> list[dict]:
    """Every response with its activity, the replies and the reactions it got: four queries."""
    rows = _within(
        Response.objects.filter(enrollment__user=user)
        .select_related("enrollment__program__organization", "activity__unit")
        .prefetch_related(
            "choices",
            "reactions",
            Prefetch("feedback", Feedback.objects.select_related("author").order_by("created_at")),
        ),
        organization,
        "enrollment__program__organization",
    ).order_by(
        "-enrollment__program__start_date",
        "enrollment__program_id",
        "activity__unit__number",
        "activity__position",
        "pk",
    )
    items = []
    for r in rows:
        program, activity = r.enrollment.program, r.activity
        items.append(
            {
                "organization": _organization(program.organization),
                "program": _program(program),
                "unit": _week(activity.unit),
                "activity": {
                    "kind": activity.kind,
                    "prompt": activity.prompt,
                    "removed": activity.removed_at is not None,
                },
                "text": r.text,
                "choices": [o.text for o in r.choices.all()],
                "value": r.value,
                "visibility": r.visibility,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
                "feedback": [
                    {"author": f.author.name, "text": f.text, "created_at": f.created_at}
                    for f in r.feedback.all()
                ],
                "reactions": dict(Counter(x.kind for x in r.reactions.all())),
            }
        )
    return items


def supporters(user: User, organization: Organization | None) -> list[dict]:
    """The colleagues or managers the person invited to see what they share with supporters."""
    rows = _within(
        Supporter.objects.filter(enrollment__user=user).select_related(
            "user", "enrollment__program__organization"
        ),
        organization,
        "enrollment__program__organization",
    )
    return [
        {
            "organization": _organization(s.enrollment.program.organization),
            "program": _program(s.enrollment.program),
            "name": s.user.name,
            "email": s.user.email,
            "invited_at": s.invited_at,
        }
        for s in rows.order_by("invited_at", "pk")
    ]


def supporting(user: User, organization: Organization | None) -> list[dict]:
    """The participants the person supports (their names only: the rest is theirs)."""
    rows = _within(
        Supporter.objects.filter(user=user).select_related(
            "enrollment__user", "enrollment__program__organization"
        ),
        organization,
        "enrollment__program__organization",
    )
    return [
        {
            "organization": _organization(s.enrollment.program.organization),
            "program": _program(s.enrollment.program),
            "participant": s.enrollment.user.name,
            "invited_at": s.invited_at,
        }
        for s in rows.order_by("invited_at", "pk")
    ]


def feedback_given(user: User, organization: Organization | None) -> list[dict]:
    """The person's replies to what others shared: their own text, never the other's."""
    rows = _within(
        Feedback.objects.filter(author=user).select_related(
            "response__enrollment__program__organization", "response__activity__unit"
        ),
        organization,
        "response__enrollment__program__organization",
    )
    return [
        {
            "organization": _organization(f.response.enrollment.program.organization),
            "program": _program(f.response.enrollment.program),
            "unit": _week(f.response.activity.unit),
            "text": f.text,
            "created_at": f.created_at,
        }
        for f in rows.order_by("created_at", "pk")
    ]


def reactions_given(user: User, organization: Organization | None) -> list[dict]:
    rows = _within(
        Reaction.objects.filter(user=user).select_related(
            "response__enrollment__program__organization", "response__activity__unit"
        ),
        organization,
        "response__enrollment__program__organization",
    )
    return [
        {
            "organization": _organization(r.response.enrollment.program.organization),
            "program": _program(r.response.enrollment.program),
            "unit": _week(r.response.activity.unit),
            "kind": r.kind,
            "created_at": r.created_at,
        }
        for r in rows.order_by("created_at", "pk")
    ]


Section = Callable[[User, Organization | None], list]

# The export's sections, in order. Add one function here for each new kind of personal data.
SECTIONS: tuple[tuple[str, Section], ...] = (
    ("memberships", memberships),
    ("enrollments", enrollments),
    ("responses", responses),
    ("supporters", supporters),
    ("supporting", supporting),
    ("feedback_given", feedback_given),
    ("reactions_given", reactions_given),
    ("learning_records", records_of),
)


def person_data(*, user: User, organization: Organization | None = None) -> dict:
    """Everything stored about `user`, as plain values (datetimes stay datetimes).

    With `organization`, only what that organization holds: an admin's export on request.
    One query per section (two for responses), whatever the amount of data.
    """
    data: dict = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now(),
        "organization": _organization(organization) if organization else None,
        "person": _person(user),
    }
    for name, section in SECTIONS:
        data[name] = section(user, organization)
    return data


def readable(data: dict) -> dict:
    """The export grouped by program and week, with labels in the active language: for HTML."""
    roles = dict(Membership.Role.choices)
    kinds = dict(Activity.Kind.choices)
    visibilities = dict(Response.Visibility.choices)
    reactions = dict(Reaction.Kind.choices)
    lists = ("supporters", "supporting", "feedback_given", "reactions_given")
    programs: dict[tuple[str, str], dict] = {}

    def part_of(item: dict) -> dict:
        key = (item["organization"]["slug"], item["program"]["slug"])
        empty = {"organization": item["organization"], "program": item["program"]}
        empty |= {"enrollment": None, "weeks": {}} | {name: [] for name in lists}
        return programs.setdefault(key, empty)

    for enrollment in data["enrollments"]:
        part_of(enrollment)["enrollment"] = enrollment
    for r in data["responses"]:
        weeks = part_of(r)["weeks"]
        week = weeks.setdefault(r["unit"]["number"], r["unit"] | {"responses": []})
        labels = {
            "kind_label": kinds.get(r["activity"]["kind"], r["activity"]["kind"]),
            "visibility_label": visibilities.get(r["visibility"], r["visibility"]),
            "reaction_labels": [(reactions.get(k, k), n) for k, n in r["reactions"].items()],
        }
        week["responses"].append(r | labels)
    for name in lists:
        for item in data[name]:
            label = reactions.get(item.get("kind", ""), item.get("kind"))
            part_of(item)[name].append(item | {"kind_label": label})
    for part in programs.values():
        part["weeks"] = [part["weeks"][n] for n in sorted(part["weeks"])]
    return {
        "memberships": [
            m | {"role_label": roles.get(m["role"], m["role"])} for m in data["memberships"]
        ],
        "programs": list(programs.values()),
    }


# Erasure ---------------------------------------------------------------------------------


def erased_email(user: User) -> str:
    return f"erased-{user.pk}@{ERASED_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email == erased_email(user)


def other_organizations(*, user: User, organization: Organization) -> bool:
    """Whether the person belongs to, takes part in or supports someone in another organization."""
    ties = (
        Membership.objects.filter(user=user).exclude(organization=organization),
        Enrollment.objects.filter(user=user).exclude(program__organization=organization),
        Supporter.objects.filter(user=user).exclude(enrollment__program__organization=organization),
    )
    return any(rows.exists() for rows in ties)


def _erase_responses(user: User) -> None:
    """Blank what they wrote and make it private; the rows stay for the weekly figures."""
    Response.objects.filter(enrollment__user=user).filter(
        ~Q(text="") | ~Q(visibility=Response.Visibility.PRIVATE) | ~Q(updated_at=F("created_at"))
    ).update(text="", visibility=Response.Visibility.PRIVATE, updated_at=F("created_at"))


def _erase_feedback(user: User) -> None:
    """Their replies to others, and the replies to their own writing, which is gone."""
    Feedback.objects.filter(Q(author=user) | Q(response__enrollment__user=user)).delete()


def _erase_supporters(user: User) -> None:
    """Nobody follows the person any more, and they follow nobody."""
    Supporter.objects.filter(Q(user=user) | Q(enrollment__user=user)).delete()


def _erase_enrollments(user: User) -> None:
    Enrollment.objects.filter(user=user, is_active=True).update(is_active=False)


def _erase_memberships(user: User) -> None:
    """Memberships stay, anonymous, so an organization's head counts stay right."""
    Membership.objects.filter(user=user).exclude(department="").update(department="")


def _end_sessions(user: User) -> None:
    """Delete every session signed in as the person (the unusable password ends them too)."""
    Session.objects.filter(user=user).delete()


def _erase_admin_history(user: User) -> None:
    """Django's admin history names the person it changed: name them as erased there too."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=f"erased-{user.pk}")


def _erase_person(user: User) -> None:
    with translation.override(person_language(user)):
        name = _("Erased participant")
    user.email = erased_email(user)
    user.name = name
    user.language = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


# Steps of an erasure, each harmless when repeated. Add one for each new kind of personal data.
ERASE_STEPS: tuple[Callable[[User], None], ...] = (
    _erase_responses,
    _erase_feedback,
    _erase_supporters,
    _erase_enrollments,
    _erase_memberships,
    _erase_admin_history,
    _end_sessions,
    erase_nudges,  # messages waiting for them, their preferences and push subscriptions
    records_erase,  # learning records stay for the figures, no longer leading to them
)


@transaction.atomic
def person_erase(*, user: User, organization: Organization | None = None) -> None:
    """Erase a person: their text, name and e-mail go; anonymous counts stay. Irreversible.

    With `organization` (an admin acting on request), refuse with `OtherOrganizations` when
    the person also belongs to another organization. Erasing twice changes nothing more.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if organization is not None and other_organizations(user=user, organization=organization):
        raise OtherOrganizations(user.pk)
    for step in ERASE_STEPS:
        step(user)
    if not is_erased(user):
        _erase_person(user)
        logger.info("Person %s erased", user.pk)
