"""A person's own data: everything stored about them (export) and its erasure.

`person_data` gathers the export from the sections the apps registered (privacy/registry.py),
one function per kind of data, each a fixed number of queries; `person_erase` runs the
erasure steps they registered, then blanks the person. An app that stores more about a
person registers its section (and, when it keeps text or links that identify the person, an
erasure step) in its own `privacy.py`; the JSON and HTML exports and the erasure then cover
it. See docs/privacy.md.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pocketmentor.accounts.models import Session, User
from pocketmentor.accounts.services import person_language
from pocketmentor.privacy import registry
from pocketmentor.privacy.registry import Tenant

logger = logging.getLogger(__name__)

FORMAT = "pocketmentor-person-data"
VERSION = 1
ERASED_DOMAIN = "invalid"  # RFC 2606: never delivers mail


class OtherOrganizations(Exception):
    """The person also belongs to another organization: one organization may not erase them."""


def organization_data(org: Tenant) -> dict:
    """How an export names an organization."""
    return {"name": org.name, "slug": org.slug}


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


def person_data(*, user: User, organization: Tenant | None = None) -> dict:
    """Everything stored about `user`, as plain values (datetimes stay datetimes).

    With `organization`, only what that organization holds: an admin's export on request.
    One query per section (two for responses), whatever the amount of data.
    """
    data: dict = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now(),
        "organization": organization_data(organization) if organization else None,
        "person": _person(user),
    }
    for name, section in registry.sections.items():
        data[name] = section(user, organization)
    return data


def person_time_zone(user: User, organization: Tenant | None = None) -> str:
    """The organization's time zone, else the one of the person's first organization, else
    the default."""
    if organization is not None:
        return organization.time_zone
    for found in registry.time_zones:
        zone = found(user)
        if zone:
            return zone
    return settings.TIME_ZONE


def person_frame(user: User) -> dict[str, Any]:
    """What the person's data pages are shown in: the first registered frame that has one
    for them (their program's pages), else nothing (the plain page)."""
    for found in registry.frames:
        frame = found(user)
        if frame:
            return frame
    return {}


def is_staff(data: dict) -> bool:
    """Whether the export shows the person as staff somewhere (an admin or a facilitator)."""
    return any(m["role"] in registry.staff_roles for m in data.get("memberships", []))


def readable(data: dict) -> dict:
    """The export grouped by program and week, with labels in the active language: for HTML."""
    names = {name: choices() for name, choices in registry.labels.items()}
    roles, kinds = names.get("role", {}), names.get("kind", {})
    audiences, reactions = names.get("audience", {}), names.get("reaction", {})
    lists = ("supporters", "supporting", "feedback_given", "reactions_given", "recalls")
    ratings = names.get("rating", {})
    programs: dict[tuple[str, str], dict] = {}

    def part_of(item: dict) -> dict:
        key = (item["organization"]["slug"], item["program"]["slug"])
        empty = {"organization": item["organization"], "program": item["program"]}
        empty |= {"enrollment": None, "weeks": {}} | {name: [] for name in lists}
        return programs.setdefault(key, empty)

    for enrollment in data.get("enrollments", []):
        part_of(enrollment)["enrollment"] = enrollment
    for r in data.get("responses", []):
        weeks = part_of(r)["weeks"]
        week = weeks.setdefault(r["unit"]["number"], r["unit"] | {"responses": []})
        labelled = {
            "kind_label": kinds.get(r["activity"]["kind"], r["activity"]["kind"]),
            "audience_labels": [audiences.get(a, a) for a in r["audiences"]],
            "reaction_labels": [(reactions.get(k, k), n) for k, n in r["reactions"].items()],
        }
        week["responses"].append(r | labelled)
    for name in lists:
        for item in data.get(name, []):
            kind_label = reactions.get(item.get("kind", ""), item.get("kind"))
            rating_label = ratings.get(item.get("rating"), "")
            part_of(item)[name].append(
                item | {"kind_label": kind_label, "rating_label": rating_label}
            )
    for part in programs.values():
        part["weeks"] = [part["weeks"][n] for n in sorted(part["weeks"])]
    return {
        "memberships": [
            m | {"role_label": roles.get(m["role"], m["role"])} for m in data.get("memberships", [])
        ],
        "programs": list(programs.values()),
    }


# Erasure ---------------------------------------------------------------------------------


def erased_email(user: User) -> str:
    return f"erased-{user.pk}@{ERASED_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email == erased_email(user)


def other_organizations(*, user: User, organization: Tenant) -> bool:
    """Whether the person belongs to, takes part in or supports someone in another organization."""
    return any(tied(user, organization) for tied in registry.ties)


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


@transaction.atomic
def person_erase(*, user: User, organization: Tenant | None = None) -> None:
    """Erase a person: their text, name and e-mail go; anonymous counts stay. Irreversible.

    With `organization` (an admin acting on request), refuse with `OtherOrganizations` when
    the person also belongs to another organization. Erasing twice changes nothing more.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if organization is not None and other_organizations(user=user, organization=organization):
        raise OtherOrganizations(user.pk)
    for step in (*registry.erase_steps, _erase_admin_history, _end_sessions):
        step(user)
    if not is_erased(user):
        _erase_person(user)
        logger.info("Person %s erased", user.pk)
