"""Each staff action that touches personal data or power writes one audit entry."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from pocketmentor.accounts.models import User
from pocketmentor.audit.models import Entry
from pocketmentor.audit.services import Action
from pocketmentor.conftest import signed_in
from pocketmentor.orgs.models import Membership
from pocketmentor.people.tests.test_people_pages import CONFIRM, digest, upload

STUDIO = "/studio/fjordvik/"


@pytest.fixture
def hr(admin_user):
    client = signed_in(admin_user)
    client.defaults["REMOTE_ADDR"] = "192.0.2.10"
    return client


def recorded() -> list[Entry]:
    """What the actions wrote (staff sign-ins aside: the fixtures sign people in)."""
    return list(Entry.objects.exclude(action=Action.SIGN_IN).order_by("pk"))


def test_a_people_import_is_recorded(hr, admin_user, org, program):
    hr.post(CONFIRM, {"digest": digest(upload(hr))})
    [entry] = recorded()
    assert (entry.action, entry.organization, entry.actor) == (
        Action.PEOPLE_IMPORT, org, admin_user
    )  # fmt: skip
    assert entry.target.startswith("Leading: deltakere.csv (") and entry.address == "192.0.2.10"


@pytest.mark.parametrize("table", ["figures.csv", "participants.xlsx"])
def test_an_export_is_recorded(hr, admin_user, ann, program, table):
    assert hr.get(f"{STUDIO}p/lead/insights/export/{table}").status_code == 200
    [entry] = recorded()
    assert (entry.action, entry.actor) == (Action.EXPORT, admin_user)
    assert entry.target == f"lead-{table.replace('.', '-2026-03-11.')}"


def test_a_persons_data_export_and_erasure_are_recorded(hr, admin_user, ann, org):
    hr.get(f"{STUDIO}people/{ann.pk}/data/export.json")
    hr.post(f"{STUDIO}people/{ann.pk}/data/erase/")
    exported, erased = recorded()
    assert (exported.action, exported.person, exported.target) == (
        Action.PERSON_EXPORT, ann, "ann@fjordvik.example"
    )  # fmt: skip
    assert (erased.action, erased.person, erased.target) == (Action.PERSON_ERASE, ann, f"#{ann.pk}")
    assert erased.organization == org and erased.actor == admin_user


def test_deactivating_and_reactivating_are_recorded(hr, ann):
    membership = ann.memberships.get()
    hr.post(f"{STUDIO}people/{membership.pk}/deactivate/")
    hr.post(f"{STUDIO}people/{membership.pk}/reactivate/")
    assert [(e.action, e.person) for e in recorded()] == [
        (Action.PERSON_DEACTIVATE, ann), (Action.PERSON_REACTIVATE, ann)
    ]  # fmt: skip


def test_a_reminder_is_recorded(facilitator, ann, program):
    client = signed_in(facilitator)
    client.post(f"{STUDIO}p/lead/insights/remind/{ann.enrollments.get().pk}/")
    [entry] = recorded()
    assert (entry.action, entry.actor, entry.person) == (Action.REMINDER, facilitator, ann)


def test_a_refused_reminder_is_not_recorded(facilitator, ann, program):
    client = signed_in(facilitator)
    url = f"{STUDIO}p/lead/insights/remind/{ann.enrollments.get().pk}/"
    client.post(url)
    client.post(url)  # too soon: refused
    assert len(recorded()) == 1


def test_role_changes_in_the_django_admin_are_recorded(org, facilitator):
    operator = User.objects.create_superuser("root@host.example", "x" * 20)
    client = Client()
    client.force_login(operator)
    membership = facilitator.memberships.get()
    page = f"/admin/orgs/membership/{membership.pk}/"
    fields = {"organization": org.pk, "user": facilitator.pk, "department": ""}
    client.post(page + "change/", fields | {"role": "admin"})
    client.post(page + "change/", fields | {"role": "admin", "department": "HR"})  # no role change
    client.post(page + "delete/", {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    changed, removed = recorded()
    assert (changed.action, changed.actor, changed.person, changed.organization) == (
        Action.ROLE_CHANGE, operator, facilitator, org
    )  # fmt: skip
    assert changed.target == "coach@partner.example: facilitator → admin"
    assert removed.target == "coach@partner.example: admin → –"


def test_an_api_key_made_on_the_command_line_is_recorded(org):
    call_command("insights", "key", org.slug, "--label", "LRS reports", stdout=io.StringIO())
    [entry] = recorded()
    assert (entry.action, entry.organization, entry.actor) == (Action.API_KEY, org, None)
    assert entry.target.startswith("LRS reports (pm_")
