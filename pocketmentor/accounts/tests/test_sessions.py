"""Sessions carry their person (accounts/sessions.py); Django still checks the person each time."""

import datetime as dt

import time_machine

from pocketmentor.accounts.models import Session, User
from pocketmentor.conftest import NOW, signed_in, week_url
from pocketmentor.nudges.worker import Worker


def test_a_session_knows_its_person_and_the_page_opens(ann, bob, program):
    client = signed_in(ann)
    signed_in(bob)
    assert client.get(week_url(program)).status_code == 200
    assert Session.objects.get(user=ann).get_decoded()["_auth_user_id"] == str(ann.pk)


def test_a_person_made_inactive_is_signed_out_at_once(ann, program):
    client = signed_in(ann)
    assert client.get(week_url(program)).status_code == 200
    User.objects.filter(pk=ann.pk).update(is_active=False)
    response = client.get(week_url(program))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(ann, program):
    client = signed_in(ann)
    assert client.get(week_url(program)).status_code == 200
    ann.set_password("a new and long passphrase")
    ann.save()
    assert client.get(week_url(program)).status_code == 302
    assert not Session.objects.filter(user=ann).exists()  # flushed when found out


def test_a_person_removed_takes_their_sessions_along(ann):
    signed_in(ann)
    ann.delete()
    assert not Session.objects.exists()


def test_the_worker_removes_sessions_past_their_ninety_days(ann, bob):
    signed_in(ann)
    with time_machine.travel(NOW + dt.timedelta(days=91), tick=False):
        signed_in(bob)
        Worker(name="test").round(plan=True)
    assert list(Session.objects.values_list("user", flat=True)) == [bob.pk]
