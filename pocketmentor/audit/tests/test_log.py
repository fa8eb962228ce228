"""The audit log is append-only, kept for its time, and written for sign-ins and lockouts."""

import datetime as dt

import pytest
from django.test import Client

from pocketmentor.audit.models import AppendOnly, Entry
from pocketmentor.audit.services import Action, audit_prune, audit_record
from pocketmentor.conftest import NOW


def test_an_entry_is_never_changed_or_deleted_through_the_orm(org, admin_user):
    entry = audit_record(action=Action.EXPORT, organization=org, actor=admin_user, target="x")
    entry.target = "something else"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        Entry.objects.filter(pk=entry.pk).update(target="y")
    with pytest.raises(AppendOnly):
        Entry.objects.all().delete()
    entry.refresh_from_db()
    assert entry.target == "x" and entry.actor_label == admin_user.email


def test_the_django_admin_shows_entries_read_only(org, admin_user):
    from pocketmentor.accounts.models import User

    entry = audit_record(action=Action.EXPORT, organization=org, actor=admin_user, target="x.csv")
    operator = Client()
    operator.force_login(User.objects.create_superuser("root@host.example", "x" * 20))
    assert operator.get("/admin/audit/entry/").status_code == 200
    page = f"/admin/audit/entry/{entry.pk}/"
    assert operator.post(page + "change/", {"target": "changed"}).status_code == 403
    assert operator.post(page + "delete/", {"post": "yes"}).status_code == 403
    assert Entry.objects.get().target == "x.csv"


def test_pruning_removes_only_entries_past_their_time(org, admin_user, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = Entry.objects.create(action=Action.EXPORT, organization=org, at=NOW - dt.timedelta(31))
    kept = Entry.objects.create(action=Action.EXPORT, organization=org, at=NOW - dt.timedelta(29))
    assert audit_prune() == 1
    assert list(Entry.objects.all()) == [kept]
    assert not Entry.objects.filter(pk=old.pk).exists()


def test_the_worker_prunes_the_log(org, settings):
    from pocketmentor.nudges.worker import Worker

    settings.AUDIT_RETENTION_DAYS = 1
    Entry.objects.create(action=Action.EXPORT, organization=org, at=NOW - dt.timedelta(2))
    Worker(name="test").round(plan=True)
    assert not Entry.objects.exists()


def test_a_staff_sign_in_is_logged_once_with_its_method_and_address(admin_user, ann):
    admin_user.set_password("a long enough password")
    admin_user.save()
    Client(REMOTE_ADDR="198.51.100.4").post(
        "/login/staff/", {"username": admin_user.email, "password": "a long enough password"}
    )
    [entry] = Entry.objects.all()
    assert (entry.action, entry.organization, entry.actor, entry.person) == (
        Action.SIGN_IN, admin_user.memberships.get().organization, admin_user, admin_user
    )  # fmt: skip
    assert (entry.target, entry.address) == ("password", "198.51.100.4")


def test_a_participants_sign_in_is_not_the_organizations_business(ann):
    from sesame.utils import get_query_string

    token = get_query_string(ann).split("t=")[1]
    assert Client().post("/login/", {"t": token}).status_code == 302
    assert not Entry.objects.exists()


def test_a_lockout_is_logged_against_the_account_not_the_guesser(admin_user, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR="203.0.113.9").post(
            "/login/staff/", {"username": admin_user.email, "password": f"wrong {attempt}"}
        )
    [entry] = Entry.objects.all()
    assert (entry.action, entry.person, entry.actor) == (Action.LOCKOUT, admin_user, None)
    assert entry.address == "203.0.113.9"
    assert entry.organization == admin_user.memberships.get().organization
