"""Reflection themes above the facilitators' feed, on the dashboard and in the seminar brief,
in Chromium on a phone, in Norwegian and English, axe clean."""

import pytest
from playwright.sync_api import expect

from pocketmentor.conftest import answer, enroll, make_person, make_program
from pocketmentor.insights.services.themes import themes_compute
from pocketmentor.insights.tests.test_themes import FEEDBACK_NB
from pocketmentor.orgs.models import Organization
from pocketmentor.tests.chromium import PHONE, artifact, axe_clean, needs_chromium, signed_in_page

pytestmark = needs_chromium

WORDS = {
    "nb": {"heading": "Hva deltakerne skriver om", "people": "4 personer skrev om dette",
           "others": "og 6 til som ikke delte det"},
    "en": {"heading": "What participants write about", "people": "4 people wrote about this",
           "others": "and 6 more who did not share it"},
}  # fmt: skip


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def cohort(transactional_db):
    """Four leaders shared about feedback with the facilitators, six kept it to themselves."""
    org = Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="nb")
    program = make_program(org)
    reflection = program.units.get(number=1).activities.get(kind="reflection")
    for n in range(10):
        person = make_person(f"leder{n}@fjordvik.example", org=org, role="participant")
        text = FEEDBACK_NB[n % 4] + ("" if n < 4 else f" ({n})")
        audiences = ["facilitators"] if n < 4 else []
        answer(enroll(person, program), reflection, text=text, audiences=audiences)
    themes_compute(program=program, week=1)
    return make_person("coach@fjordvik.example", org=org, role="facilitator")


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_feed_and_the_brief_show_the_themes(browser, live_server, cohort, language):
    words = WORDS[language]
    context, page = signed_in_page(browser, live_server, cohort, language=language, viewport=PHONE)
    for name, path in [
        ("feed", "shared/"),
        ("dashboard", "insights/"),
        ("brief", "insights/brief/"),
    ]:
        page.goto(f"{live_server.url}/studio/fjordvik/p/lead/{path}")
        axe_clean(page)
        themes = page.locator("section.themes")
        expect(themes.get_by_role("heading", name=words["heading"])).to_be_visible()
        first = themes.locator("li.theme").first
        expect(first.locator(".theme-words")).to_contain_text("tilbakemelding")
        expect(first).to_contain_text(words["people"])
        expect(first).to_contain_text(words["others"])
        expect(first.locator("blockquote")).to_have_count(3)
        expect(themes).not_to_contain_text("(4)")  # never a text that was not shared
        page.screenshot(path=artifact(f"themes-{name}-{language}-phone.png"), full_page=True)
    context.close()
