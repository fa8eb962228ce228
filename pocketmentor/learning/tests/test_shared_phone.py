"""A shared phone in a real Chromium: the service worker's copies belong to one session.

Person A reads their week, a unit and their private reflections; then A's session ends
without the sign-out button (B signs in by link on the same phone, A's session is deleted
on the server, A is deactivated). Offline, nobody sees A's pages any more: A's addresses
show the offline page, never A's copies.
"""

import datetime as dt

import pytest
from django.utils import timezone
from sesame.utils import get_query_string

from pocketmentor.accounts.models import Session
from pocketmentor.accounts.services import person_deactivate
from pocketmentor.conftest import answer, enroll, make_person, make_program
from pocketmentor.orgs.models import Organization
from pocketmentor.tests.chromium import PHONE, evaluate_within, needs_chromium, ready

pytestmark = needs_chromium

SECRET = "Only Ann may read this: I was unfair to Per on Monday."
OFFLINE = "You are offline"
PAGES = "() => caches.keys().then((names) => names.filter((name) => name.startsWith('pages')))"


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def people(transactional_db):
    org = Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="en")
    program = make_program(org)
    # Week 2 is open now, on the real clock.
    program.start_date = timezone.localdate() - dt.timedelta(days=8)
    program.save(update_fields=["start_date"])
    ann = make_person("ann@fjordvik.example", org=org, role="participant", language="en")
    bob = make_person("bob@fjordvik.example", org=org, role="participant", language="en")
    reflection = program.units.get(number=1).activities.get(kind="reflection")
    answer(enroll(ann, program), reflection, text=SECRET, audiences=[])
    enroll(bob, program)
    return ann, bob


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    yield context
    context.close()


def sign_in(page, live_server, person) -> None:
    page.goto(live_server.url + "/login/" + get_query_string(person))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/o/fjordvik/lead/")
    ready(page)


def read_as_ann(phone, live_server, ann):
    """Ann opens this week, a unit and her reflections through the service worker."""
    page = phone.new_page()
    sign_in(page, live_server, ann)
    assert evaluate_within(page, "() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the worker
    assert page.evaluate("!!navigator.serviceWorker.controller")
    base = live_server.url + "/o/fjordvik/lead/"
    for url in [base + "week/1/", base + "reflections/"]:
        page.goto(url)
        ready(page)
    assert SECRET in page.content()
    assert len(evaluate_within(page, PAGES)) == 1  # one session's copies
    # The copies work: offline, Ann reads her reflections.
    phone.set_offline(True)
    page.goto(base + "reflections/")
    assert SECRET in page.content()
    phone.set_offline(False)
    return page, base


def assert_none_of_anns_pages_offline(phone, page, base) -> None:
    phone.set_offline(True)
    for url in [base + "reflections/", base + "week/1/"]:
        page.goto(url)
        assert SECRET not in page.content()
        assert page.locator("h1").inner_text() == OFFLINE


def test_another_person_signing_in_on_the_phone_sees_none_of_the_first_ones_pages(
    phone, live_server, people
):
    ann, bob = people
    page, base = read_as_ann(phone, live_server, ann)

    sign_in(page, live_server, bob)  # no sign-out button: Bob's link on Ann's phone
    assert SECRET not in page.content()
    assert len(evaluate_within(page, PAGES)) == 1  # Bob's copies alone

    assert_none_of_anns_pages_offline(phone, page, base)
    # The page Bob opened himself is his, offline too.
    page.goto(base)
    assert page.locator("h1").inner_text() != OFFLINE
    assert SECRET not in page.content()


@pytest.mark.parametrize("ending", ["session deleted", "person deactivated"])
def test_a_session_ended_on_the_server_leaves_no_pages_on_the_phone(
    phone, live_server, people, ending
):
    ann, _bob = people
    page, base = read_as_ann(phone, live_server, ann)
    if ending == "session deleted":
        Session.objects.filter(user_id=ann.pk).delete()
    else:
        person_deactivate(user_ids=[ann.pk])

    # The phone meets the server once: it answers that nobody is signed in here any more.
    page.goto(base + "reflections/")
    page.wait_for_url("**/login/**")
    assert SECRET not in page.content()
    assert evaluate_within(page, PAGES) == []

    assert_none_of_anns_pages_offline(phone, page, base)


def test_offline_with_no_one_known_signed_in_the_phone_shows_the_offline_page(
    phone, live_server, people
):
    ann, _bob = people
    page, base = read_as_ann(phone, live_server, ann)
    # Copies the worker cannot tell apart (as a version that kept one cache for everyone
    # left them) are not served: with no one known to be signed in, the offline page.
    evaluate_within(page, "() => caches.open('pages-someone-else').then(() => true)")
    assert_none_of_anns_pages_offline(phone, page, base)
