"""Sign-in limits behind a proxy: a municipality's whole network shares one address.

Every client here reaches the server through the proxy on loopback (trusted by default),
which appends the client's address to X-Forwarded-For, as nginx and Caddy do.
"""

import datetime as dt
import re

import time_machine
from django.core import mail
from django.test import Client

from pocketmentor.accounts.models import User
from pocketmentor.conftest import NOW, make_person

NAT = "198.51.100.7"  # the municipality network's one public address
REFUSED = "For mange forsøk"


def browser(address: str = NAT, *, peer: str = "127.0.0.1", language: str = "nb") -> Client:
    """A person's browser behind `address`, reaching us through the proxy at `peer`."""
    client = Client(
        REMOTE_ADDR=peer, headers={"x-forwarded-for": address, "accept-language": language}
    )
    assert client.get("/login/new/").status_code == 200  # the form sets the CSRF cookie
    return client


def ask_for_link(client: Client, email: str, capture) -> int:
    with capture(execute=True):
        return client.post("/login/new/", {"email": email}).status_code


def link_in_last_mail(to: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [to])
    return re.search(r"http://\S+", message.body)[0].removeprefix("http://127.0.0.1:8000")


def test_250_people_behind_one_address_sign_in_within_two_minutes(
    org, django_capture_on_commit_callbacks
):
    people = [
        make_person(f"leader{n}@fjordvik.example", org=org, role="participant") for n in range(250)
    ]
    statuses = []
    with time_machine.travel(NOW, tick=False) as clock:
        for person in people:
            client = browser()
            statuses.append(ask_for_link(client, person.email, django_capture_on_commit_callbacks))
            path = link_in_last_mail(person.email)
            statuses.append(client.get(path).status_code)
            statuses.append(client.post("/login/", {"t": path.split("t=", 1)[1]}).status_code)
            assert client.session["_auth_user_id"] == str(person.pk)
            clock.shift(dt.timedelta(seconds=120 / 250))
    assert statuses == [200, 200, 302] * 250  # not one refusal
    assert len(mail.outbox) == 250
    assert User.objects.filter(email__startswith="leader", last_login__isnull=False).count() == 250


def test_a_client_flooding_the_form_is_refused_while_others_behind_its_address_get_links(
    ann, bob, django_capture_on_commit_callbacks
):
    flooder = browser()
    statuses = [
        ask_for_link(flooder, f"stranger{n}@example.no", django_capture_on_commit_callbacks)
        for n in range(12)
    ]
    assert statuses == [200] * 10 + [429, 429]
    refusal = flooder.post("/login/new/", {"email": "another@example.no"})
    assert refusal.status_code == 429
    assert REFUSED in refusal.content.decode()  # in the language the browser asks for
    assert ask_for_link(browser(), ann.email, django_capture_on_commit_callbacks) == 200
    assert ask_for_link(browser(), bob.email, django_capture_on_commit_callbacks) == 200
    assert [m.to for m in mail.outbox] == [[ann.email], [bob.email]]


def test_asking_for_one_persons_link_over_and_over_stops_at_five_links(
    ann, bob, django_capture_on_commit_callbacks
):
    statuses = [
        ask_for_link(browser(), "ANN@fjordvik.example ", django_capture_on_commit_callbacks)
        for _ in range(7)
    ]
    assert statuses == [200] * 5 + [429, 429]  # each from a new browser: the limit is Ann's
    assert len(mail.outbox) == 5
    assert ask_for_link(browser(), bob.email, django_capture_on_commit_callbacks) == 200
    # Ann is not locked out: the links already in her inbox still sign her in.
    client = Client()
    client.post("/login/", {"t": link_in_last_mail(ann.email).split("t=", 1)[1]})
    assert client.session["_auth_user_id"] == str(ann.pk)


def test_the_address_limit_counts_the_client_behind_the_proxy_not_the_proxy(
    ann, bob, settings, django_capture_on_commit_callbacks
):
    settings.RATELIMIT_LINK_PER_ADDRESS = "2/10m"
    capture = django_capture_on_commit_callbacks
    assert ask_for_link(browser("198.51.100.7"), ann.email, capture) == 200
    assert ask_for_link(browser("198.51.100.7"), bob.email, capture) == 200
    assert ask_for_link(browser("198.51.100.7"), bob.email, capture) == 429
    assert ask_for_link(browser("203.0.113.50"), ann.email, capture) == 200  # another network


def test_an_untrusted_peers_forwarded_for_is_ignored(
    ann, bob, settings, django_capture_on_commit_callbacks
):
    settings.RATELIMIT_LINK_PER_ADDRESS = "2/10m"
    capture = django_capture_on_commit_callbacks
    statuses = [
        ask_for_link(browser(f"192.0.2.{n}", peer="203.0.113.9"), ann.email, capture)
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]  # counted against the peer, whatever the header says
    assert len(mail.outbox) == 2


def test_a_staff_lockout_through_the_proxy_holds_the_guessers_address_only(admin_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # quick tries
    admin_user.set_password("a long enough password")
    admin_user.save()
    guesser = browser("203.0.113.66")
    statuses = [
        guesser.post(
            "/login/staff/", {"username": admin_user.email, "password": f"guess {n}"}
        ).status_code
        for n in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert statuses[-1] == 429  # locked, for this account from the guesser's address
    admin = browser(NAT)  # the same proxy, another network
    response = admin.post(
        "/login/staff/", {"username": admin_user.email, "password": "a long enough password"}
    )
    assert response.status_code == 302
    assert admin.session["_auth_user_id"] == str(admin_user.pk)
