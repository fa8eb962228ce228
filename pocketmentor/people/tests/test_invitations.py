"""Invitations travel over real SMTP, in the person's language, and their link signs in."""

import contextlib
import datetime as dt
import email
import email.policy
import re
import socket

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone

from pocketmentor.accounts.tests.test_smtp import Inbox
from pocketmentor.conftest import NOW, enroll, make_person, make_program, signed_in
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.people.importing import read_people
from pocketmentor.people.services import membership_deactivate, people_import

PEOPLE = "/studio/fjordvik/people/"


@contextlib.contextmanager
def smtp_server(settings):
    """A real SMTP server on loopback, with Django's mail going to it."""
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def inbox(settings):
    with smtp_server(settings) as inbox:
        yield inbox


def received(inbox):
    """Each message as (recipient, subject, text, html)."""
    messages = []
    for envelope in inbox.messages:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text, html = (part.get_content() for part in message.iter_parts())
        messages.append((envelope.rcpt_tos[0], message["Subject"], text, html))
    return sorted(messages)


def token(text: str) -> str:
    return re.search(r"/login/\?t=([\w-]+)", text)[1]


def import_and_invite(program, lines, capture):
    data = "\n".join(["navn;e-post;gruppe;språk", *lines]).encode()
    with capture(execute=True):
        return people_import(program=program, people=read_people(data), invite=True)


def test_new_participants_get_an_invitation_that_signs_them_in(
    program,
    inbox,
    django_capture_on_commit_callbacks,
):
    program.organization.primary_color = "#7a1f5c"
    program.organization.save()
    import_and_invite(
        program,
        ["Kari Nordmann;kari@fjordvik.example;A;", "Ola Hansen;ola@fjordvik.example;B;en"],
        django_capture_on_commit_callbacks,
    )
    kari, ola = received(inbox)
    to, subject, text, html = kari
    assert to == "kari@fjordvik.example"
    assert subject == "Invitasjon fra Fjordvik kommune"
    assert "Hei Kari," in text and "Fjordvik kommune inviterer deg til Leading" in text
    assert "Fjordvik kommune" in html and "background:#7a1f5c" in html
    assert token(html) == token(text)
    assert ola[1] == "Invitation from Fjordvik kommune"  # his own language
    assert "Fjordvik kommune invites you to Leading on Pocketmentor" in ola[2]

    client = Client()
    confirm = client.get(f"/login/?t={token(text)}")
    assert "Logg inn" in confirm.content.decode()
    client.post("/login/", {"t": token(text)})
    member = Membership.objects.get(user__email="kari@fjordvik.example")
    assert client.session["_auth_user_id"] == str(member.user_id)
    assert client.get("/o/fjordvik/lead/").status_code == 200
    assert member.invited_at is not None


def test_importing_again_sends_no_second_invitation(
    program,
    inbox,
    django_capture_on_commit_callbacks,
):
    lines = ["Kari Nordmann;kari@fjordvik.example;A;"]
    import_and_invite(program, lines, django_capture_on_commit_callbacks)
    plan = import_and_invite(program, lines, django_capture_on_commit_callbacks)
    assert plan.invitations == 0 and len(inbox.messages) == 1


def test_an_invitation_is_resent_at_most_every_ten_minutes(
    admin_user,
    ann,
    inbox,
    django_capture_on_commit_callbacks,
):
    hr = signed_in(admin_user)
    url = f"{PEOPLE}{ann.memberships.get().pk}/invite/"
    with django_capture_on_commit_callbacks(execute=True):
        first = hr.post(url, follow=True)
    assert "En invitasjon er på vei til ann@fjordvik.example." in first.content.decode()
    assert len(inbox.messages) == 1

    later = time_machine.travel(NOW + dt.timedelta(minutes=9), tick=False)
    with later, django_capture_on_commit_callbacks(execute=True):
        refused = hr.post(url, follow=True)
    page = refused.content.decode()
    assert "Ann fikk en invitasjon for mindre enn 10 minutter siden." in page
    assert "sende en ny etter kl. 12:10" in page
    assert len(inbox.messages) == 1

    later = time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False)
    with later, django_capture_on_commit_callbacks(execute=True):
        hr.post(url)
    assert len(inbox.messages) == 2
    client = Client()
    client.post("/login/", {"t": token(received(inbox)[-1][2])})
    assert client.session["_auth_user_id"] == str(ann.pk)


def test_inviting_a_programs_participants_asks_first_and_invites_only_them(
    admin_user,
    ann,
    bob,
    facilitator,
    inbox,
    django_capture_on_commit_callbacks,
):
    program = ann.enrollments.get().program
    org = program.organization
    Membership.objects.filter(user=bob).update(invited_at=timezone.now())
    gone = make_person("gone@fjordvik.example", org=org, role="participant")
    gone.enrollments.create(program=program, is_active=False)
    # Imported for another program of the same organization: not this program's invitation.
    other = make_program(org, slug="new-cohort", weeks=1)
    newcomer = make_person("new@fjordvik.example", org=org, role="participant")
    enroll(newcomer, other)
    hr = signed_in(admin_user)
    people = hr.get(PEOPLE).content.decode()
    assert "Inviter den 1 deltakeren i Leading som ikke er invitert ennå" in people
    assert people.count("som ikke er invitert ennå") == 2  # one button for each program
    url = f"/studio/fjordvik/p/{program.slug}/people/invite/"
    page = hr.get(url).content.decode()
    assert "Invitere 1 deltaker i Leading?" in page and "Send 1 invitasjon" in page
    assert inbox.messages == []  # asking sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(url, follow=True)
    assert "En invitasjon er på vei til 1 deltaker i Leading." in response.content.decode()
    assert [m[0] for m in received(inbox)] == ["ann@fjordvik.example"]
    with django_capture_on_commit_callbacks(execute=True):
        again = hr.post(url, follow=True)
    assert "Alle aktive deltakere i Leading har allerede fått en invitasjon." in (
        again.content.decode()
    )
    assert len(inbox.messages) == 1
    assert Membership.objects.get(user=newcomer).invited_at is None
    # Facilitators do not invite; another organization's admin finds nothing here.
    assert signed_in(facilitator).get(url).status_code == 404
    stranger_org = Organization.objects.create(name="Other AS", slug="other")
    stranger = make_person("boss@other.example", org=stranger_org, role="admin")
    assert signed_in(stranger).post(url).status_code == 404
    assert len(inbox.messages) == 1


def test_a_deactivated_participant_gets_no_invitation(
    admin_user,
    ann,
    inbox,
    django_capture_on_commit_callbacks,
):
    membership = ann.memberships.get()
    membership_deactivate(membership=membership)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(admin_user).post(f"{PEOPLE}{membership.pk}/invite/", follow=True)
    assert "Ann er deaktivert. Aktiver personen igjen først" in response.content.decode()
    assert inbox.messages == []


def test_the_persons_language_else_the_organizations(
    outsider,
    inbox,
    django_capture_on_commit_callbacks,
):
    outsider.language = "nb"
    outsider.save()
    program = outsider.memberships.get().organization.programs.get()  # Other AS speaks English
    with django_capture_on_commit_callbacks(execute=True):
        people_import(
            program=program,
            people=read_people(b"name,email\nNy,ny@other.example\nEve,eve@other.example\n"),
            invite=True,
        )
    assert [m[:2] for m in received(inbox)] == [
        ("eve@other.example", "Invitasjon fra Other AS"),
        ("ny@other.example", "Invitation from Other AS"),
    ]
