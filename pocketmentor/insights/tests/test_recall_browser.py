"""Retention of key points and reflection themes on the demo's dashboard and seminar brief,
and the studio's key points, in Chromium, on the Norwegian and the English demo, with axe
clean."""

import pytest
from playwright.sync_api import expect

from pocketmentor import demo
from pocketmentor.insights import selectors
from pocketmentor.programs.models import Program
from pocketmentor.tests.chromium import axe_clean, needs_chromium, signed_in_page

pytestmark = needs_chromium

WORDS = {
    "nb": {"retention": "Hva de husker av hovedpoengene",
           "by_point": "Husket, etter hovedpoeng og repetisjon",
           "first": "1. repetisjon", "forgotten": "Hovedpoengene som oftest glemmes", "of": "av",
           "studio": "Hovedpoeng å repetere", "use": "Skriv et hovedpoeng",
           "themes": "Hva deltakerne skriver om", "program": "ledelse"},
    "en": {"retention": "Retention of key points",
           "by_point": "Remembered, by key point and recall",
           "first": "1st recall", "forgotten": "Key points most often forgotten", "of": "of",
           "studio": "Key points to recall", "use": "Write a key point",
           "themes": "What participants write about", "program": "leadership"},
}  # fmt: skip


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.mark.parametrize("language", ["nb", "en"])
def test_dashboard_and_brief_show_retention_themes_and_the_points_most_forgotten(
    browser, live_server, transactional_db, language
):
    words = WORDS[language]
    demo.demo_seed(language=language)
    program = Program.objects.get(organization__slug="demo")
    assert program.slug == words["program"]
    week, found = selectors.themes(program=program)
    assert week is not None and found, "the demo has reflection themes to show"
    facilitator = demo.demo_people()["facilitator"]
    context, page = signed_in_page(browser, live_server, facilitator, language=language)
    base = f"{live_server.url}/studio/demo/p/{program.slug}/"
    page.goto(base + "insights/")
    expect(page.get_by_role("heading", name=words["retention"])).to_be_visible()
    table = page.get_by_role("table", name=words["by_point"])
    expect(table.get_by_role("columnheader", name=words["first"])).to_be_visible()
    expect(table.locator("td", has_text=f" {words['of']} ").first).to_be_visible()
    shows_themes(page, words, found[0])
    axe_clean(page)
    page.goto(base + "insights/brief/")
    expect(page.get_by_role("heading", name=words["forgotten"])).to_be_visible()
    assert page.locator("ol.forgotten li").count() >= 1
    shows_themes(page, words, found[0])
    axe_clean(page)
    page.goto(base + "weeks/1/")
    expect(page.get_by_role("heading", name=words["studio"])).to_be_visible()
    expect(page.get_by_role("heading", name=words["use"])).to_be_visible()
    axe_clean(page)
    context.close()


def shows_themes(page, words, first) -> None:
    """The page's themes section leads with the demo's first theme, its words and quotes."""
    themes = page.locator("section.themes")
    expect(themes.get_by_role("heading", name=words["themes"])).to_be_visible()
    shown = themes.locator("li.theme").first
    expect(shown.locator(".theme-words")).to_contain_text(first.words[0])
    expect(shown.locator("blockquote").first).to_be_visible()
