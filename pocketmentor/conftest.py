"""Personas and factories shared by the tests.

An organization with an admin, a facilitator and two participants in different groups of
a live three-week program, and an outsider from another organization with its own program.
"""

import datetime as dt
import logging
import os
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client
from django.utils import timezone, translation

from pocketmentor.accounts.models import User
from pocketmentor.learning import shared
from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.programs.models import Activity, Card, Group, Option, Program, Unit
from pocketmentor.tests.chromium import CHROMIUM, FLAGS, BoundedBrowser

OSLO = ZoneInfo("Europe/Oslo")
# A Wednesday in the program's second week: week 1 opened Monday 2 March 2026 at 07:30.
NOW = dt.datetime(2026, 3, 11, 12, 0, tzinfo=OSLO)
START = dt.date(2026, 3, 2)
# Threads that outlive a test (an SMTP server on loopback, the live server) may log after
# pytest closed that test's capture: a lost line is not worth a traceback in the output.
logging.raiseExceptions = False


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached figures, kept pages and rate limits never leak from one test into another."""
    for each in caches.all():
        each.clear()
    shared.forget()  # what this process holds of the kept pages' cache


@pytest.fixture(autouse=True)
def _fresh_language():
    """Views activate a language for their thread; start each test from the default."""
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(scope="session")
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares the thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield BoundedBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def _static_files_served(request):
    """A browser test fails when any static file it loaded failed."""
    yield
    if "browser" in request.fixturenames:
        broken = request.getfixturevalue("browser").broken
        failed, broken[:] = list(broken), []
        assert not failed, f"static files that failed: {failed}"


def make_person(email: str, *, org: Organization, role: str, language: str = "") -> User:
    user = User.objects.create_user(email, name=email.split("@")[0].title(), language=language)
    Membership.objects.create(organization=org, user=user, role=role)
    return user


def make_unit(program: Program, number: int, *, cards: int = 2) -> Unit:
    unit = Unit.objects.create(
        program=program, number=number, title=f"Week {number} challenge", published_at=NOW
    )
    for position in range(1, cards + 1):
        Card.objects.create(unit=unit, position=position, body=f"Card **{position}** of {number}.")
    Activity.objects.create(unit=unit, position=1, kind="reflection", prompt="What did you notice?")
    Activity.objects.create(unit=unit, position=2, kind="task", prompt="Ask one colleague.")
    quiz = Activity.objects.create(unit=unit, position=3, kind="quiz", prompt="Which is best?")
    Option.objects.create(activity=quiz, position=1, text="Ask", is_correct=True, feedback="Yes.")
    Option.objects.create(activity=quiz, position=2, text="Tell", feedback="Not quite.")
    Activity.objects.create(
        unit=unit, position=4, kind="poll", prompt="How often?", scale_min=1, scale_max=5,
        scale_low="Rarely", scale_high="Always",
    )  # fmt: skip
    return unit


def make_program(org: Organization, *, slug: str = "lead", weeks: int = 3) -> Program:
    program = Program.objects.create(
        organization=org, title="Leading", slug=slug, start_date=START, state="live"
    )
    for number in range(1, weeks + 1):
        make_unit(program, number)
    return program


def enroll(user: User, program: Program, group: Group | None = None) -> Enrollment:
    return Enrollment.objects.create(user=user, program=program, group=group)


def answer(enrollment: Enrollment, activity: Activity, **fields) -> Response:
    """A response stored as is; `audiences` (a list of names) sets who it is shared with."""
    fields |= Response.sharing(fields.pop("audiences", ()))
    return Response.objects.create(
        enrollment=enrollment, activity=activity, key=uuid.uuid4(), **fields
    )


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="nb")


@pytest.fixture
def program(org) -> Program:
    return make_program(org)


@pytest.fixture
def groups(program) -> tuple[Group, Group]:
    return Group.objects.create(program=program, name="A"), Group.objects.create(
        program=program, name="B"
    )


@pytest.fixture
def admin_user(org) -> User:
    return make_person("hr@fjordvik.example", org=org, role="admin")


@pytest.fixture
def facilitator(org) -> User:
    return make_person("coach@partner.example", org=org, role="facilitator")


@pytest.fixture
def ann(org, program, groups) -> User:
    user = make_person("ann@fjordvik.example", org=org, role="participant")
    enroll(user, program, groups[0])
    return user


@pytest.fixture
def bob(org, program, groups) -> User:
    user = make_person("bob@fjordvik.example", org=org, role="participant", language="en")
    enroll(user, program, groups[1])
    return user


@pytest.fixture
def outsider(db) -> User:
    other = Organization.objects.create(name="Other AS", slug="other", language="en")
    user = make_person("eve@other.example", org=other, role="participant")
    enroll(user, make_program(other, slug="lead"))
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def week_url(program: Program, suffix: str = "") -> str:
    return f"/o/{program.organization.slug}/{program.slug}/{suffix}"
