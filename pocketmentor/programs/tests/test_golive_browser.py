"""Going live and undoing a deletion in Chromium, in Norwegian and English, with axe clean."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pocketmentor.conftest import enroll, make_person, make_program
from pocketmentor.orgs.models import Organization
from pocketmentor.programs.models import Card, Program
from pocketmentor.tests.chromium import (
    PHONE,
    artifact,
    axe_clean,
    needs_chromium,
    signed_in_page,
)

pytestmark = needs_chromium

WORDS = {
    "nb": {
        "go_live": "Start programmet",
        "publish": "Start og publiser 1 uke",
        "live": "Programmet er i gang, og 1 uke er publisert.",
        "not_ready": "Ikke klar: ingen kort, ingen aktiviteter",
        "people": "2 personer er påmeldt.",
        "delete": "Slett",
        "sure": "Slette dette kortet?",
        "keep": "Behold den",
        "deleted": "Kortet er slettet. Du kan angre på denne siden i 10 minutter.",
        "undo": "Angre",
        "back": "Det er tilbake, der det var.",
    },
    "en": {
        "go_live": "Go live",
        "publish": "Go live and publish 1 week",
        "live": "The program is live, and 1 week is published.",
        "not_ready": "Not ready: no cards, no activities",
        "people": "2 people are enrolled.",
        "delete": "Delete",
        "sure": "Delete this card?",
        "keep": "Keep it",
        "deleted": "The card is deleted. You can undo it on this page for 10 minutes.",
        "undo": "Undo",
        "back": "It is back, where it was.",
    },
}


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def studio(transactional_db):
    """A draft program starting today: week 1 published, week 2 complete, week 3 empty."""
    org = Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="nb")
    program = make_program(org)
    Program.objects.filter(pk=program.pk).update(state="draft", start_date=timezone.localdate())
    program.units.filter(number__gte=2).update(published_at=None)
    empty = program.units.get(number=3)
    empty.cards.all().delete()
    empty.activities.all().delete()
    author = make_person("coach@partner.example", org=org, role="facilitator")
    people = [
        make_person(f"{name}@fjordvik.example", org=org, role="participant")
        for name in ("kari", "ola")
    ]
    for person in people:
        enroll(person, program)
    return {"org": org, "program": program, "author": author, "participant": people[0]}


@pytest.mark.parametrize("language", ["nb", "en"])
def test_going_live_shows_the_weeks_and_people_then_publishes_the_ready_weeks(
    browser, live_server, studio, language
):
    words = WORDS[language]
    program = studio["program"]
    context, page = signed_in_page(browser, live_server, studio["author"], language=language)
    page.goto(f"{live_server.url}/studio/fjordvik/p/lead/")
    axe_clean(page)
    step = page.locator(".next-step")
    expect(step.get_by_role("link")).to_have_count(1)
    page.screenshot(path=artifact(f"program-{language}-1280.png"), full_page=True)
    step.get_by_role("link", name=words["go_live"]).click()

    page.wait_for_url("**/go-live/")
    axe_clean(page)
    expect(page.get_by_text(words["not_ready"])).to_be_visible()
    expect(page.get_by_text(words["people"])).to_be_visible()
    page.screenshot(path=artifact(f"golive-{language}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=artifact(f"golive-{language}-phone.png"), full_page=True)
    assert Program.objects.get().state == "draft"  # looking changed nothing
    page.get_by_role("button", name=words["publish"]).click()

    expect(page.get_by_text(words["live"])).to_be_visible()
    axe_clean(page)
    page.screenshot(path=artifact(f"program-live-{language}-phone.png"), full_page=True)
    program.refresh_from_db()
    assert program.state == "live"
    assert list(program.units.published().values_list("number", flat=True)) == [1, 2]
    context.close()


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_deleted_card_asks_first_leaves_the_phone_and_comes_back_with_undo(
    browser, live_server, studio, language
):
    words = WORDS[language]
    Program.objects.update(state="live", start_date=timezone.localdate() - dt.timedelta(days=1))
    card = Card.objects.filter(unit__number=1).first()
    Card.objects.filter(pk=card.pk).update(body="Ask before you answer.")
    context, page = signed_in_page(browser, live_server, studio["author"], language=language)
    phone, phone_page = signed_in_page(
        browser, live_server, studio["participant"], language=language, viewport=PHONE
    )
    week = f"{live_server.url}/o/fjordvik/lead/week/1/"
    phone_page.goto(week)
    expect(phone_page.get_by_text("Ask before you answer.")).to_be_visible()

    page.goto(f"{live_server.url}/studio/fjordvik/p/lead/weeks/1/")
    axe_clean(page)
    delete = page.locator(".items").first.get_by_role("link", name=words["delete"]).first
    delete.click()  # with JavaScript the confirmation page opens in a dialog over the week
    dialog = page.locator("dialog.confirm")
    expect(dialog.get_by_role("heading", name=words["sure"])).to_be_visible()
    assert page.url.endswith("/weeks/1/")
    axe_clean(page)
    page.screenshot(path=artifact(f"delete-dialog-{language}-1280.png"))
    dialog.get_by_role("button", name=words["keep"]).click()
    expect(dialog).to_have_count(0)
    assert Card.objects.filter(pk=card.pk).exists()
    expect(delete).to_be_focused()
    delete.click()
    dialog.get_by_role("button", name=words["delete"]).click()
    expect(page.get_by_text(words["deleted"])).to_be_visible()
    axe_clean(page)
    page.screenshot(path=artifact(f"undo-{language}-1280.png"))
    assert not Card.objects.filter(pk=card.pk).exists()

    phone_page.goto(week)
    expect(phone_page.locator("article.card")).to_have_count(1)
    expect(phone_page.get_by_text("Ask before you answer.")).to_have_count(0)

    page.locator(".undo").get_by_role("button", name=words["undo"]).click()
    expect(page.get_by_text(words["back"])).to_be_visible()
    expect(page.locator(".undo")).to_have_count(0)
    axe_clean(page)
    phone_page.goto(week)
    expect(phone_page.get_by_text("Ask before you answer.")).to_be_visible()
    assert Card.objects.get(pk=card.pk).position == 1
    phone.close()
    context.close()


MOVE = {
    "nb": {"move": "Flytt uke 2 opp", "sure": "Flytte uke 2, Week 2 challenge, opp?",
           "keep": "Behold datoene", "confirm": "Flytt den opp"},
    "en": {"move": "Move week 2 up", "sure": "Move week 2, Week 2 challenge, up?",
           "keep": "Keep the dates", "confirm": "Move it up"},
}  # fmt: skip


@pytest.mark.parametrize("language", ["nb", "en"])
def test_moving_a_published_week_of_a_live_program_asks_in_a_dialog_first(
    browser, live_server, studio, language
):
    words = MOVE[language]
    program = studio["program"]
    Program.objects.update(state="live")
    context, page = signed_in_page(browser, live_server, studio["author"], language=language)
    page.goto(f"{live_server.url}/studio/fjordvik/p/lead/")
    move = page.get_by_role("link", name=words["move"])
    move.click()  # week 1 is published: its date would move under the participants
    dialog = page.locator("dialog.confirm")
    expect(dialog.get_by_role("heading", name=words["sure"])).to_be_visible()
    expect(dialog.locator("ul.facts li")).to_have_count(2)
    axe_clean(page)
    page.screenshot(path=artifact(f"move-dialog-{language}-1280.png"))
    dialog.get_by_role("button", name=words["keep"]).click()
    expect(dialog).to_have_count(0)
    expect(move).to_be_focused()
    assert program.units.get(number=1).title == "Week 1 challenge"
    move.click()
    dialog.get_by_role("button", name=words["confirm"]).click()
    expect(page.locator("ol.weeks > li").first).to_contain_text("Week 2 challenge")  # moved
    expect(page.locator("dialog.confirm")).to_have_count(0)
    assert list(program.units.values_list("title", flat=True)) == [
        "Week 2 challenge", "Week 1 challenge", "Week 3 challenge",
    ]  # fmt: skip
    context.close()
