"""Poll shares from the minimum number of answers, on the phone and on the dashboard, in Chromium.

With four answers nobody sees shares (with so few, each could infer another's answer); the fifth
answer shows them, in Norwegian and English, with axe clean.
"""

import uuid

import pytest
from playwright.sync_api import expect

from pocketmentor.conftest import enroll, make_person
from pocketmentor.learning.services import response_record
from pocketmentor.programs.models import Activity
from pocketmentor.tests.chromium import (
    LAPTOP,
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
        "answer": "Svar",
        "wait": "Takk! Hvordan alle svarte, vises når 5 personer har svart.",
        "shown": "Takk! Slik svarte alle i programmet:",
        "mine": "ditt svar",
        "answers": "{n} svar",
        "from": "Andeler vises fra 5 svar, så ingen kan slutte seg til hva én person svarte.",
    },
    "en": {
        "answer": "Answer",
        "wait": "Thanks! How everyone answered is shown once 5 people have answered.",
        "shown": "Thanks! This is how everyone in the program answered:",
        "mine": "your answer",
        "answers": "{n} answers",
        "from": "Shares are shown from 5 answers, so that no one's answer can be inferred.",
    },
}


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def cohort(transactional_db, settings):
    """Week 2 of 3 is running; three leaders have answered its poll, two have not yet."""
    settings.POLL_MIN_ANSWERS = 5
    program = running_program()
    org = program.organization
    poll = Activity.objects.get(unit__program=program, unit__number=2, kind="poll")
    leaders = []
    for number in range(1, 6):
        person = make_person(f"leder{number}@fjordvik.example", org=org, role="participant")
        leaders.append((person, enroll(person, program)))
    for _person, enrollment in leaders[:3]:
        response_record(enrollment=enrollment, activity=poll, key=uuid.uuid4(), value=4)
    admin = make_person("hr@fjordvik.example", org=org, role="admin")
    return {"leaders": [person for person, _ in leaders[3:]], "admin": admin}


def answer_the_poll(page, live_server, words):
    page.goto(f"{live_server.url}/o/fjordvik/lead/")
    ready(page)
    poll = page.locator("section.activity").nth(3)
    poll.locator(".scale-row label").nth(1).click()
    poll.get_by_role("button", name=words["answer"]).click()
    return poll


def dashboard_poll(page, live_server):
    page.goto(f"{live_server.url}/studio/fjordvik/p/lead/insights/")
    axe_clean(page)
    return page.locator("section[aria-labelledby=polls] .card.poll").nth(1)  # week 2


@pytest.mark.parametrize("language", ["nb", "en"])
def test_poll_shares_show_from_five_answers_on_the_phone_and_the_dashboard(
    browser, live_server, cohort, language
):
    words = WORDS[language]
    fourth, fifth = cohort["leaders"]
    phone, page = signed_in_page(browser, live_server, fourth, language=language, viewport=PHONE)
    poll = answer_the_poll(page, live_server, words)
    expect(poll.get_by_text(words["wait"])).to_be_visible()
    expect(poll.locator("ul.bars li")).to_have_count(0)
    expect(poll.get_by_text("%")).to_have_count(0)
    axe_clean(page)
    page.screenshot(path=artifact(f"poll-four-{language}-phone.png"), full_page=True)

    staff, board = signed_in_page(
        browser, live_server, cohort["admin"], language=language, viewport=LAPTOP
    )
    card = dashboard_poll(board, live_server)
    expect(card).to_contain_text(words["answers"].format(n=4))
    expect(card.get_by_text(words["from"])).to_be_visible()
    expect(card.locator("ul.bars li")).to_have_count(0)

    phone5, page5 = signed_in_page(browser, live_server, fifth, language=language, viewport=PHONE)
    poll = answer_the_poll(page5, live_server, words)
    expect(poll.get_by_text(words["shown"])).to_be_visible()
    bars = poll.locator("ul.bars li")
    expect(bars).to_have_count(5)
    expect(bars.nth(1)).to_contain_text(words["mine"])
    expect(bars.nth(1)).to_contain_text("40%")  # the fourth and the fifth chose 2
    expect(bars.nth(3)).to_contain_text("60%")  # the three before chose 4
    axe_clean(page5)
    page5.screenshot(path=artifact(f"poll-five-{language}-phone.png"), full_page=True)

    card = dashboard_poll(board, live_server)
    expect(card).to_contain_text(words["answers"].format(n=5))
    expect(card.get_by_text(words["from"])).to_have_count(0)
    expect(card.locator("ul.bars li")).to_have_count(5)
    expect(card.locator("ul.bars li").nth(3)).to_contain_text("60")
    # The scale's ends are named as on the phone.
    expect(card.locator("ul.bars li").first).to_contain_text("1 (Rarely)")
    expect(card.locator("ul.bars li").last).to_contain_text("5 (Always)")
    board.screenshot(path=artifact(f"poll-five-{language}-dashboard.png"), full_page=True)
    for context in (phone, staff, phone5):
        context.close()
