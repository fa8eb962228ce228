import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from sesame.utils import get_query_string


def link_path(user) -> str:
    return "/login/" + get_query_string(user)


def token_of(path: str) -> str:
    return path.split("t=", 1)[1]


def test_link_shows_a_button_and_does_not_sign_in_on_get(ann):
    client = Client()
    response = client.get(link_path(ann))
    assert response.status_code == 200
    assert "Velkommen, Ann" in response.content.decode()
    assert "_auth_user_id" not in client.session
    ann.refresh_from_db()
    assert ann.last_login is None  # a mail scanner's visit leaves the link usable


def test_link_signs_in_on_post_and_leads_to_this_week(ann, program):
    client = Client()
    response = client.post("/login/", {"t": token_of(link_path(ann))})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ann.pk)
    assert client.get("/").status_code == 302


def test_link_works_only_once(ann):
    token = token_of(link_path(ann))
    Client().post("/login/", {"t": token})
    second = Client()
    response = second.post("/login/", {"t": token})
    assert response.status_code == 410
    assert "Denne innloggingslenken virker ikke lenger" in response.content.decode()
    assert "_auth_user_id" not in second.session


def test_link_expires(ann, settings):
    path = link_path(ann)
    made = timezone.now()  # the clock ticks: on a busy machine the fixtures take seconds
    with time_machine.travel(made + dt.timedelta(seconds=settings.SESAME_MAX_AGE + 1)):
        response = Client().get(path)
    assert response.status_code == 410
    assert 'name="email"' in response.content.decode()


def test_tampered_link_is_refused(ann):
    path = link_path(ann)
    # A character of the signature changed for another: the last ones may carry bits that
    # base64 leaves unused, and "xx" was, once in a few hundred links, what they held.
    changed = "A" if path[-5] != "A" else "B"
    assert Client().get(path[:-5] + changed + path[-4:]).status_code == 410


def test_deactivated_person_cannot_use_a_link(ann):
    path = link_path(ann)
    ann.is_active = False
    ann.save()
    assert Client().post("/login/", {"t": token_of(path)}).status_code == 410


def test_asking_for_a_new_link_sends_one_in_the_persons_language(
    ann, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/login/new/", {"email": "BOB@fjordvik.example"})
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bob@fjordvik.example"]
    assert message.subject == "Your sign-in link for Pocketmentor"
    url = re.search(r"http://\S+", message.body)[0]
    client = Client()
    path = url.removeprefix("http://127.0.0.1:8000")
    client.post("/login/", {"t": token_of(path)})
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_unknown_address_gets_the_same_answer_and_no_mail(db):
    response = Client().post("/login/new/", {"email": "nobody@example.no"})
    assert response.status_code == 200
    assert "nobody@example.no" in response.content.decode()
    assert mail.outbox == []


def test_malformed_address_is_refused_and_kept(db):
    response = Client(headers={"accept-language": "nb"}).post("/login/new/", {"email": "kari@"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Skriv en hel e-postadresse" in page
    assert 'value="kari@"' in page


def test_asking_for_links_is_rate_limited(ann, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            client.post("/login/new/", {"email": "ann@fjordvik.example"}).status_code
            for _ in range(7)
        ]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    assert len(mail.outbox) == 5


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


def test_staff_can_sign_in_with_a_password(admin_user):
    admin_user.set_password("a long enough password")
    admin_user.save()
    client = Client()
    response = client.post(
        "/login/staff/", {"username": admin_user.email, "password": "a long enough password"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_sign_out_needs_post(client_for_ann):
    assert client_for_ann.get("/logout/").status_code == 405
    assert client_for_ann.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client_for_ann.session


@pytest.fixture
def client_for_ann(ann):
    client = Client()
    client.force_login(ann)
    return client


def test_login_link_command_prints_a_working_link(ann, capsys):
    call_command("login_link", "Ann@Fjordvik.example")
    url = capsys.readouterr().out.strip()
    assert url.startswith("http://127.0.0.1:8000/login/?t=")
    client = Client()
    client.post("/login/", {"t": token_of(url)})
    assert client.session["_auth_user_id"] == str(ann.pk)


def test_login_link_command_names_an_unknown_address(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Nobody has the e-mail address x@y.no"):
        call_command("login_link", "x@y.no")


def test_a_link_stays_dead_when_the_admin_site_deactivates_and_reactivates_the_person(ann):
    from pocketmentor.accounts.models import User

    token = token_of(link_path(ann))
    operator = Client()
    operator.force_login(User.objects.create_superuser("root@host.example", "x" * 20))
    page = f"/admin/accounts/user/{ann.pk}/change/"
    fields = {"email": ann.email, "name": ann.name, "language": ""}
    assert operator.post(page, fields).status_code == 302  # active unticked
    assert operator.post(page, fields | {"is_active": "on"}).status_code == 302
    ann.refresh_from_db()
    assert ann.is_active
    assert Client().post("/login/", {"t": token}).status_code == 410


def test_known_and_unknown_addresses_are_answered_alike_before_any_lookup(
    ann, rf, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import AnonymousUser
    from django.core.signals import request_finished
    from django.db import close_old_connections

    from pocketmentor.accounts.views import request_link

    answers = {}
    for email in ("ann@fjordvik.example", "nobody@example.no"):
        request = rf.post("/login/new/", {"email": email})
        request.user = AnonymousUser()
        sent = len(mail.outbox)
        with django_assert_num_queries(0):  # the answer is made without asking the database
            response = request_link(request)
        assert len(mail.outbox) == sent  # nor sending anything
        page = response.content.decode().replace(email, "…")
        answers[email] = (response.status_code, re.sub(r'value="\w{64}"', "", page))  # CSRF
        # What the server does once the answer is sent; the test's database connection
        # outlives it, as Django's test client keeps it.
        request_finished.disconnect(close_old_connections)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                response.close()
        finally:
            request_finished.connect(close_old_connections)
    assert answers["ann@fjordvik.example"] == answers["nobody@example.no"]
    assert [message.to for message in mail.outbox] == [["ann@fjordvik.example"]]
