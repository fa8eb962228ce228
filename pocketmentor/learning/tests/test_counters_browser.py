"""Counters in Chromium on a phone, in Norwegian and English: they follow each answer, no reload."""

import pytest
from playwright.sync_api import expect

from pocketmentor.conftest import enroll, make_person
from pocketmentor.learning.models import Response
from pocketmentor.tests.chromium import (
    PHONE,
    artifact,
    axe_clean,
    needs_chromium,
    ready,
    running_program,
    signed_in_page,
)

pytestmark = needs_chromium

WORDS = {
    "nb": {
        "counter": "{done} av 4 aktiviteter fullført",
        "this_week": "Denne uka · Uke 2",
        "reflection": "Refleksjonen din",
        "save": "Lagre refleksjon",
        "did_it": "Jeg har gjort det",
        "answer": "Svar",
        "right": "Riktig!",
        "progress": "Fremdrift",
        "week_1": "Uke 1: Week 1 challenge",
        "week_2": "Uke 2: Week 2 challenge",
        "of_done": "{done} av 4 fullført",
    },
    "en": {
        "counter": "{done} of 4 activities done",
        "this_week": "This week · Week 2",
        "reflection": "Your reflection",
        "save": "Save reflection",
        "did_it": "I did it",
        "answer": "Answer",
        "right": "Right!",
        "progress": "Progress",
        "week_1": "Week 1: Week 1 challenge",
        "week_2": "Week 2: Week 2 challenge",
        "of_done": "{done} of 4 done",
    },
}


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def leader(transactional_db):
    """A participant in the second of three weeks, whatever the time of day the test runs."""
    program = running_program()
    person = make_person("kari@fjordvik.example", org=program.organization, role="participant")
    enroll(person, program)
    return person


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_counters_follow_each_answer_without_a_reload(browser, live_server, leader, language):
    words = WORDS[language]
    context, page = signed_in_page(browser, live_server, leader, language=language, viewport=PHONE)
    page.goto(f"{live_server.url}/o/fjordvik/lead/")
    axe_clean(page)
    expect(page.get_by_text(words["this_week"])).to_be_visible()
    counter = page.locator("#unit-progress")
    expect(counter).to_have_text(words["counter"].format(done=0))
    # A reload would lose this mark: the counters must change on this very page.
    page.evaluate("window.notReloaded = true")

    reflection, task, quiz, _poll = page.locator("section.activity").all()
    task.get_by_role("button", name=words["did_it"]).click()
    expect(counter).to_have_text(words["counter"].format(done=1))
    quiz.locator("label.choice", has_text="Ask").click()
    quiz.get_by_role("button", name=words["answer"]).click()
    expect(quiz.get_by_text(words["right"])).to_be_visible()
    expect(counter).to_have_text(words["counter"].format(done=2))
    assert page.evaluate("window.notReloaded === true")
    axe_clean(page)
    page.screenshot(path=artifact(f"counter-this-week-{language}.png"), full_page=True)

    page.goto(f"{live_server.url}/o/fjordvik/lead/week/1/")  # an earlier week's unit page
    ready(page)
    expect(counter).to_have_text(words["counter"].format(done=0))
    page.evaluate("window.notReloaded = true")
    reflection = page.locator("section.activity").first
    reflection.get_by_label(words["reflection"]).fill("I asked before I answered.")
    reflection.get_by_role("button", name=words["save"]).click()
    expect(counter).to_have_text(words["counter"].format(done=1))
    assert page.evaluate("window.notReloaded === true")
    axe_clean(page)

    page.get_by_role("link", name=words["progress"]).click()
    expect(page.locator("#activities-done")).to_have_text("3 / 8")
    expect(page.locator("#weeks-active")).to_have_text("1")  # both answered this week
    weeks = page.locator("ol.timeline li")
    expect(weeks.nth(0)).to_contain_text(words["of_done"].format(done=1))
    expect(weeks.nth(1)).to_contain_text(words["of_done"].format(done=2))
    axe_clean(page)
    assert Response.objects.filter(enrollment__user=leader).count() == 3
    context.close()
