"""A participant's week in a real Chromium at a phone's size, from the printed link."""

import os
import re
import shutil

import pytest
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.learning.models import Response

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}
DONE = re.compile(r"\bdone\b")
expect = None  # playwright's, bound when the browser starts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium); CI always runs this.",
    ),
]


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture(scope="module")
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares the thread
    from playwright.sync_api import expect, sync_playwright

    globals()["expect"] = expect

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def participant(transactional_db):
    demo.demo_seed(language="nb")
    return demo.demo_people()["participant"]


def open_link(browser, live_server, participant, **context):
    page = browser.new_context(viewport=PHONE, locale="nb-NO", **context).new_page()
    page.goto(live_server.url + "/login/" + get_query_string(participant))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/o/demo/ledelse/")
    return page


def test_participant_does_this_weeks_activities_in_norwegian(browser, live_server, participant):
    done_before = Response.objects.filter(enrollment__user=participant).count()
    page = open_link(browser, live_server, participant)
    assert page.get_by_text("Denne uka · Uke 5").is_visible()
    assert page.locator("h1").inner_text() == "Coachende samtaler"
    assert page.locator("article.card").count() >= 3
    no_overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_overflow)
    page.screenshot(path=_artifact("week.png"), full_page=True)

    reflection, task, quiz, poll = page.locator("section.activity").all()
    reflection.get_by_label("Refleksjonen din").fill("Jeg stilte tre spørsmål før jeg ga råd.")
    reflection.get_by_role("button", name="Lagre refleksjon").click()
    expect(reflection).to_have_class(DONE)
    task.get_by_role("button", name="Jeg har gjort det").click()
    expect(task).to_have_class(DONE)
    quiz.locator("label.choice").first.click()
    quiz.get_by_role("button", name="Svar").click()
    expect(quiz.get_by_text("Riktig!")).to_be_visible()
    poll.locator(".scale-row label").nth(3).click()
    poll.get_by_role("button", name="Svar").click()
    expect(poll.get_by_text("Takk! Slik svarte alle i programmet:")).to_be_visible()
    expect(page.locator("section.activity.done")).to_have_count(4)

    page.get_by_role("link", name="Fremdrift").click()
    assert page.locator("#activities-done").inner_text() == f"{done_before + 4} / 20"
    assert page.locator("#streak").inner_text() == "5 uker"
    stored = Response.objects.filter(enrollment__user=participant, activity__unit__number=5)
    assert stored.count() == 4
    page.screenshot(path=_artifact("week-done.png"), full_page=True)


def test_answering_works_without_javascript(browser, live_server, participant):
    page = open_link(browser, live_server, participant, java_script_enabled=False)
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


def _artifact(name: str) -> str:
    folder = os.environ.get("TEST_ARTIFACTS", "test-artifacts")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)
