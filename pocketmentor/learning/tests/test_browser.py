"""A participant's week in a real Chromium at a phone's size, from the printed link."""

import re

import pytest
from playwright.sync_api import expect
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.learning.models import Response
from pocketmentor.programs.models import Option
from pocketmentor.tests.chromium import PHONE, artifact, needs_chromium, ready

DONE = re.compile(r"\bdone\b")
pytestmark = needs_chromium


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def participant(transactional_db):
    demo.demo_seed(language="nb")
    return demo.demo_people()["participant"]


@pytest.fixture
def contexts(browser):
    """Open browser contexts, closed after the test so no request outlives it."""
    opened = []

    def new_context(**options):
        opened.append(browser.new_context(**options))
        return opened[-1]

    yield new_context
    for context in opened:
        context.close()


def open_link(contexts, live_server, participant, **options):
    page = contexts(viewport=PHONE, locale="nb-NO", **options).new_page()
    page.goto(live_server.url + "/login/" + get_query_string(participant))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/o/demo/ledelse/")
    if options.get("java_script_enabled", True):
        ready(page)
    return page


def test_participant_does_this_weeks_activities_in_norwegian(contexts, live_server, participant):
    done_before = Response.objects.filter(enrollment__user=participant).count()
    page = open_link(contexts, live_server, participant)
    assert page.get_by_text("Denne uka · Uke 5").is_visible()
    assert page.locator("h1").inner_text() == "Coachende samtaler"
    assert page.locator("article.card").count() >= 3
    no_overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_overflow)
    page.screenshot(path=artifact("week.png"), full_page=True)

    reflection, task, quiz, poll = page.locator("section.activity").all()
    reflection.get_by_label("Refleksjonen din").fill("Jeg stilte tre spørsmål før jeg ga råd.")
    reflection.get_by_role("button", name="Lagre refleksjon").click()
    expect(reflection).to_have_class(DONE)
    task.get_by_role("button", name="Jeg har gjort det").click()
    expect(task).to_have_class(DONE)
    right = Option.objects.get(
        activity__unit__program__slug="ledelse", activity__unit__number=5, is_correct=True
    )
    quiz.locator("label.choice", has_text=right.text).click()
    quiz.get_by_role("button", name="Svar").click()
    expect(quiz.get_by_text("Riktig!")).to_be_visible()
    poll.locator(".scale-row label").nth(3).click()
    poll.get_by_role("button", name="Svar").click()
    expect(poll.get_by_text("Takk! Slik svarte alle i programmet:")).to_be_visible()
    expect(page.locator("section.activity.done")).to_have_count(4)
    expect(page.locator("#unit-progress")).to_have_text("4 av 4 aktiviteter fullført")
    expect(page.locator("p.meter")).to_have_count(1)

    page.get_by_role("link", name="Fremdrift").click()
    assert page.locator("#activities-done").inner_text() == f"{done_before + 4} / 20"
    assert page.locator("#streak").inner_text() == "5 uker"
    stored = Response.objects.filter(enrollment__user=participant, activity__unit__number=5)
    assert stored.count() == 4
    page.screenshot(path=artifact("week-done.png"), full_page=True)


def test_answering_works_without_javascript(contexts, live_server, participant):
    page = open_link(contexts, live_server, participant, java_script_enabled=False)
    reflection = page.locator("section.activity").first
    reflection.get_by_label("Refleksjonen din").fill("   ")  # passes the browser's check
    reflection.get_by_role("button", name="Lagre refleksjon").click()
    expect(page.get_by_text("Skriv noen ord før du lagrer.")).to_be_visible()
    reflection.get_by_label("Refleksjonen din").fill("Uten JavaScript")
    reflection.get_by_role("button", name="Lagre refleksjon").click()
    page.wait_for_url("**/week/5/#activity-*")
    expect(page.locator("section.activity.done")).to_have_count(1)
    assert Response.objects.get(enrollment__user=participant, activity__unit__number=5).text == (
        "Uten JavaScript"
    )


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)


def test_an_iphone_is_told_how_to_add_the_program_to_its_home_screen(
    contexts, live_server, participant
):
    page = open_link(contexts, live_server, participant, user_agent=IPHONE)
    offer = page.locator("#install")
    expect(offer).to_be_hidden()  # not on arrival: after the person has done something
    task = page.locator("section.activity").nth(1)
    task.get_by_role("button", name="Jeg har gjort det").click()
    expect(task).to_have_class(DONE)
    expect(offer).to_be_visible()
    expect(offer.get_by_text("På iPhone eller iPad: trykk på Del")).to_be_visible()
    expect(offer.get_by_role("button", name="Legg på hjemskjermen")).to_be_hidden()
    offer.get_by_role("button", name="Ikke nå").click()
    expect(offer).to_be_hidden()
