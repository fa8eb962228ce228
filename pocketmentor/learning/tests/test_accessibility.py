"""WCAG 2.1 AA in Chromium: axe-core finds nothing serious, and the keyboard does it all."""

import os

import pytest
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.tests.chromium import AXE, PHONE, needs_chromium, serious_violations

pytestmark = [
    *needs_chromium,
    pytest.mark.skipif(
        not AXE.exists() and not os.environ.get("CI"),
        reason="axe-core is not installed (npm install); CI always runs this.",
    ),
]


@pytest.fixture(autouse=True)
def _frozen_clock():
    yield


@pytest.fixture
def page(browser, live_server, transactional_db):
    demo.demo_seed(language="nb")
    context = browser.new_context(viewport=PHONE, locale="nb-NO")
    page = context.new_page()
    page.participant = demo.demo_people()["participant"]
    yield page
    context.close()


def sign_in(page, live_server):
    page.goto(live_server.url + "/login/" + get_query_string(page.participant))
    assert serious_violations(page) == []
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/o/demo/ledelse/")


PARTICIPANT_PAGES = ["", "week/4/", "week/7/", "progress/", "reflections/"]


def test_participant_pages_have_no_serious_violations(page, live_server):
    sign_in(page, live_server)
    for suffix in PARTICIPANT_PAGES:
        page.goto(f"{live_server.url}/o/demo/ledelse/{suffix}")
        assert serious_violations(page) == [], suffix
    page.goto(f"{live_server.url}/o/demo/ledelse/")
    page.locator("section.activity").nth(2).locator("label.choice").first.click()
    page.locator("section.activity").nth(2).get_by_role("button", name="Svar").click()
    page.get_by_text("Riktig!").or_(page.get_by_text("Ikke helt.")).wait_for()
    assert serious_violations(page) == []


def test_sign_in_pages_have_no_serious_violations(page, live_server):
    for path in ["/login/new/", "/login/?t=spoilt", "/login/staff/", "/offline/"]:
        page.goto(live_server.url + path)
        assert serious_violations(page) == [], path
    page.goto(live_server.url + "/login/new/")
    page.get_by_role("button").first.click()  # empty: the error must be accessible too
    assert serious_violations(page) == []


def test_a_week_can_be_done_by_keyboard_alone(page, live_server):
    sign_in(page, live_server)
    quiz = page.locator("section.activity").nth(2)
    quiz.locator("input[type=radio]").first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Riktig!").or_(page.get_by_text("Ikke helt.")).wait_for()
    reflection = page.locator("section.activity").first
    reflection.locator("textarea").focus()
    page.keyboard.type("Skrevet med tastaturet.")
    for audience in ("group", "supporters", "facilitators"):  # a check box each
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name").endswith("-audiences")
        assert page.evaluate("document.activeElement.value") == audience
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.locator("section.activity.done").nth(1).wait_for()


def test_axe_reports_a_planted_violation(page, live_server):
    """The check above can fail: an unnamed button is reported."""
    page.goto(live_server.url + "/login/new/")
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    assert any(v.startswith("button-name (critical)") for v in serious_violations(page))


def studio_pages() -> list[str]:
    """Every studio page of the demo, with an item of each kind to edit."""
    from pocketmentor.accounts.models import User
    from pocketmentor.programs.models import Group, Program, Seminar

    program = Program.objects.get(organization__slug="demo")
    unit = program.units.get(number=1)
    base, week = "/studio/demo/p/ledelse/", "/studio/demo/p/ledelse/weeks/1/"
    group, seminar = Group.objects.filter(program=program).first(), Seminar.objects.first()
    person = User.objects.get(email=demo.demo_people()["participant"].email)
    return [
        "/studio/", "/studio/demo/", "/studio/demo/new/", "/studio/demo/import/",
        base, f"{base}settings/", f"{base}duplicate/", week,
        f"{week}cards/new/", f"{week}cards/{unit.cards.first().pk}/",
        f"{week}activities/new/", f"{week}activities/{unit.activities.first().pk}/",
        "/studio/demo/people/", f"{base}people/import/", f"/studio/demo/people/{person.pk}/data/",
        f"{base}groups/", f"{base}groups/{group.pk}/",
        f"{base}seminars/", f"{base}seminars/new/", f"{base}seminars/{seminar.pk}/",
        f"{base}insights/", f"{base}insights/print/",
        "/studio/demo/nudges/", f"{base}nudges/", f"{base}shared/", "/studio/demo/audit/",
        "/account/two-factor/", "/account/two-factor/app/",
    ]  # fmt: skip


@pytest.mark.timeout(360)  # some twenty pages, each loaded and checked: slow on a busy machine
def test_studio_pages_have_no_serious_violations(page, live_server):
    page.participant = demo.demo_people()["admin"]
    page.goto(live_server.url + "/login/" + get_query_string(page.participant))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/studio/**")
    found = {}
    for path in studio_pages():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        if problems := serious_violations(page):
            found[path] = problems
    page.goto(live_server.url + "/studio/demo/p/ledelse/weeks/1/cards/new/")
    page.locator("main form button[type=submit]").last.click()  # empty: errors shown
    if problems := serious_violations(page):
        found["card form with errors"] = problems
    assert found == {}
