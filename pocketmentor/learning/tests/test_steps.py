"""One card at a time on a phone: Back and Next, swipes, arrow keys, where you are, kept places."""

import pytest
from django.test import Client
from playwright.sync_api import expect
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.learning.models import Response
from pocketmentor.programs.models import Option
from pocketmentor.tests.chromium import (
    AXE,
    PHONE,
    artifact,
    needs_chromium,
    ready,
    serious_violations,
)

pytestmark = [
    *needs_chromium,
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm install)."),
]
STEPS = 8  # week 5: four cards, then a reflection, a task, a quiz and a poll
LANGUAGES = {
    "nb": {
        "program": "ledelse", "sign_in": "Logg inn", "next": "Neste", "back": "Tilbake",
        "where": "{n} av {total}", "answer": "Svar", "right": "Riktig!", "turn": "Din tur",
        "all": "Vis alt på én side", "one": "Vis ett kort om gangen", "locale": "nb-NO",
    },
    "en": {
        "program": "leadership", "sign_in": "Sign in", "next": "Next", "back": "Back",
        "where": "{n} of {total}", "answer": "Answer", "right": "Right!", "turn": "Your turn",
        "all": "Show everything on one page", "one": "Show one card at a time",
        "locale": "en-GB",
    },
}  # fmt: skip


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


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


def signed_in(contexts, live_server, language, **options):
    demo.demo_seed(language=language)
    participant = demo.demo_people()["participant"]
    words = LANGUAGES[language]
    context = contexts(locale=words["locale"], **options)
    page = context.new_page()
    page.goto(live_server.url + "/login/" + get_query_string(participant))
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(f"**/o/demo/{words['program']}/")
    ready(page)
    return page, participant, words


def where(words, n: int) -> str:
    return words["where"].format(n=n, total=STEPS)


def shown(page):
    """The cards and activities on screen."""
    return page.locator("section.cards > article.card:visible, section.activity:visible")


def swipe(page, dx: int) -> None:
    """A finger across the unit: negative is to the left (the next card)."""
    page.evaluate(
        """(dx) => {
          const unit = document.querySelector("[data-steps]");
          const at = (x) => [new Touch({identifier: 1, target: unit, clientX: x, clientY: 300})];
          const touch = (type, init) => unit.dispatchEvent(new TouchEvent(type, init));
          touch("touchstart", {touches: at(200), bubbles: true});
          touch("touchend", {changedTouches: at(200 + dx), bubbles: true});
        }""",
        dx,
    )


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_phone_shows_one_card_at_a_time_and_keeps_answers_and_the_place(
    contexts, live_server, transactional_db, language
):
    page, participant, words = signed_in(
        contexts, live_server, language, viewport=PHONE, has_touch=True, one_card_at_a_time=True
    )
    steps = page.get_by_role("navigation", name={"nb": "Kort", "en": "Cards"}[language])
    position = steps.locator(".step-where")
    expect(position).to_have_text(where(words, 1))
    expect(position).to_have_attribute("aria-live", "polite")
    expect(shown(page)).to_have_count(1)
    expect(steps.locator(".dots li")).to_have_count(STEPS)
    expect(steps.get_by_role("button", name=words["back"])).to_be_disabled()
    assert page.get_by_role("heading", name=words["turn"]).is_hidden()
    assert serious_violations(page) == []
    if language == "nb":
        page.screenshot(path=artifact("unit-one-card.png"))

    steps.get_by_role("button", name=words["next"]).click()
    expect(position).to_have_text(where(words, 2))
    second = page.locator("section.cards > article.card").nth(1)
    expect(second).to_be_visible()
    expect(second).to_be_focused()  # a card without a heading of its own takes the focus
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text(where(words, 3))
    swipe(page, -120)
    expect(position).to_have_text(where(words, 4))
    swipe(page, 120)
    expect(position).to_have_text(where(words, 3))
    swipe(page, -20)  # too short to be a swipe
    expect(position).to_have_text(where(words, 3))
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(position).to_have_text(where(words, 7))
    quiz = page.locator("section.activity").nth(2)
    expect(quiz).to_be_visible()
    expect(quiz.locator("h3")).to_be_focused()  # the activity's heading
    expect(page.get_by_role("heading", name=words["turn"])).to_be_visible()

    right = Option.objects.get(
        activity__unit__program__slug=words["program"],
        activity__unit__number=5,
        is_correct=True,
    )
    quiz.locator("label.choice", has_text=right.text).click()
    quiz.get_by_role("button", name=words["answer"]).click()
    expect(quiz.get_by_text(words["right"])).to_be_visible()
    expect(shown(page)).to_have_count(1)  # the answer swapped in is still the one shown
    expect(steps.locator(".dots li").nth(6)).to_have_class("on done")

    steps.get_by_role("button", name=words["back"]).click()
    expect(position).to_have_text(where(words, 6))
    steps.get_by_role("button", name=words["next"]).click()
    expect(page.locator("section.activity").nth(2).get_by_text(words["right"])).to_be_visible()

    page.reload()
    ready(page)
    expect(position).to_have_text(where(words, 7))
    expect(page.locator("section.activity").nth(2)).to_be_visible()
    expect(shown(page)).to_have_count(1)
    assert serious_violations(page) == []
    stored = Response.objects.filter(enrollment__user=participant, activity__unit__number=5)
    assert stored.count() == 1


def test_the_whole_page_is_one_tap_away_and_stays_chosen(contexts, live_server, transactional_db):
    page, _participant, words = signed_in(
        contexts, live_server, "en", viewport=PHONE, one_card_at_a_time=True
    )
    expect(shown(page)).to_have_count(1)
    page.get_by_role("button", name=words["all"]).click()
    expect(shown(page)).to_have_count(STEPS)
    expect(page.locator("nav.steps")).to_be_hidden()
    page.keyboard.press("ArrowRight")  # no steps to move through
    expect(shown(page)).to_have_count(STEPS)
    page.reload()
    ready(page)
    expect(shown(page)).to_have_count(STEPS)
    assert serious_violations(page) == []
    page.get_by_role("button", name=words["one"]).click()
    expect(shown(page)).to_have_count(1)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_wide_screen_shows_the_whole_unit(contexts, live_server, transactional_db, language):
    page, _participant, words = signed_in(
        contexts,
        live_server,
        language,
        viewport={"width": 1280, "height": 900},
        one_card_at_a_time=True,
    )
    expect(shown(page)).to_have_count(STEPS)
    expect(page.locator("nav.steps")).to_be_hidden()
    expect(page.get_by_role("button", name=words["all"])).to_be_hidden()
    expect(page.get_by_role("heading", name=words["turn"])).to_be_visible()
    assert serious_violations(page) == []


PREVIEW_WORDS = {
    "nb": ("Forhåndsvisning – svar lagres ikke", "Svar", "Forhåndsvis som deltaker"),
    "en": ("Preview — answers are not saved", "Answer", "Preview as participant"),
}


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_week_previews_on_a_phone_with_its_quiz_and_poll_and_stores_nothing(
    contexts, live_server, transactional_db, language
):
    demo.demo_seed(language=language)
    coach = demo.demo_people()["facilitator"]
    client = Client()
    client.force_login(coach)
    words = LANGUAGES[language]
    banner, answer, link = PREVIEW_WORDS[language]
    context = contexts(viewport=PHONE, locale=words["locale"], one_card_at_a_time=True)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/studio/demo/p/{words['program']}/weeks/6/")
    page.get_by_role("link", name=link).click()
    ready(page)
    expect(page.get_by_text(banner)).to_be_visible()
    expect(shown(page)).to_have_count(1)  # one card at a time, as participants see it
    assert serious_violations(page) == []
    if language == "nb":
        page.screenshot(path=artifact("preview-card.png"))
    page.get_by_role("button", name=words["all"]).click()
    _reflection, _task, quiz, poll = page.locator("section.activity").all()  # week 6's
    expect(quiz.locator("label.choice")).to_have_count(4)
    expect(quiz.locator("label.choice input").first).to_be_disabled()
    expect(quiz.get_by_role("button", name=answer)).to_be_disabled()
    expect(poll.locator(".scale-row label, label.choice").first).to_be_visible()
    expect(poll.get_by_role("button", name=answer)).to_be_disabled()
    assert serious_violations(page) == []
    quiz.scroll_into_view_if_needed()
    if language == "nb":
        page.screenshot(path=artifact("preview-quiz.png"))
    assert not Response.objects.filter(enrollment__user=coach).exists()
    assert not Response.objects.filter(activity__unit__number=6).exists()
