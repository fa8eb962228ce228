"""The dashboard in a real Chromium at a phone's and a laptop's size: chart, heat map, export."""

from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.insights import records, services
from pocketmentor.insights.models import LearningRecord
from pocketmentor.tests.chromium import PHONE, artifact, needs_chromium, ready

LAPTOP = {"width": 1280, "height": 800}
pytestmark = needs_chromium


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def contexts(browser):
    opened = []

    def new_context(**options):
        opened.append(browser.new_context(locale="nb-NO", **options))
        return opened[-1]

    yield new_context
    for context in opened:
        context.close()


def signed_in_page(contexts, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    context = contexts(viewport=viewport, accept_downloads=True)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context.new_page()


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("laptop", LAPTOP)])
def test_the_dashboard_with_its_chart_and_the_csv_export(
    contexts, live_server, transactional_db, name, viewport
):
    demo.demo_seed(language="nb")
    admin = demo.demo_people()["admin"]
    page = signed_in_page(contexts, live_server, admin, viewport)
    page.goto(live_server.url + "/studio/demo/p/ledelse/")
    page.get_by_role("link", name="Engasjement", exact=True).click()
    expect(page.get_by_role("heading", name="Engasjement", exact=True)).to_be_visible()
    chart = page.get_by_role("img", name="Ukentlig aktiv engasjementsgrad")
    expect(chart).to_be_visible()
    ready(page)
    assert page.locator("svg.weekly-chart rect.chart-bar").count() == 5
    box = chart.bounding_box()
    assert 300 <= box["width"] <= viewport["width"] and box["height"] > 150
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.get_by_text("Denne uka så langt")).to_be_visible()
    groups = page.get_by_role("table", name="Aktive deltakere etter gruppe og uke, i prosent")
    expect(groups).to_be_visible()
    page.screenshot(path=artifact(f"insights-{name}.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Tall (CSV)").click()
    assert download.value.suggested_filename.startswith("ledelse-figures-")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "Inndeling;Navn;Uke;Påmeldt;Aktive deltakere;Andel (%)"
    assert "Gruppe 25" in text

    page.get_by_role("link", name="Utskriftsvennlig visning").click()
    page.emulate_media(media="print")
    expect(page.locator("svg.weekly-chart")).to_be_visible()
    expect(page.locator(".top nav")).to_be_hidden()


def test_reading_to_the_end_of_the_cards_is_recorded(contexts, live_server, transactional_db):
    demo.demo_seed(language="nb")
    participant = demo.demo_people()["participant"]
    started = timezone.now()
    page = contexts(viewport=PHONE).new_page()
    page.goto(live_server.url + "/login/" + get_query_string(participant))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/o/demo/ledelse/")
    services.opened_flush()  # the worker's job, with Redis
    mine = LearningRecord.objects.filter(actor=participant, timestamp__gte=started)
    assert set(mine.values_list("verb", flat=True)) == {records.LOGGED_IN.iri, records.LAUNCHED.iri}
    with page.expect_response(lambda r: r.url.endswith("/week/5/read/")) as read:
        page.locator("section.cards > :last-child").scroll_into_view_if_needed()
    assert read.value.status == 204
    assert mine.filter(verb=records.EXPERIENCED.iri).count() == 1


def test_a_large_screen_shows_the_dashboard_in_two_columns_and_the_whole_people_table(
    contexts, live_server, transactional_db
):
    demo.demo_seed(language="nb")
    admin = demo.demo_people()["admin"]
    page = signed_in_page(contexts, live_server, admin, {"width": 1920, "height": 1080})
    page.goto(live_server.url + "/studio/demo/p/ledelse/insights/")
    departments = page.locator("#departments").bounding_box()
    groups = page.locator("#groups").bounding_box()
    assert departments["y"] == groups["y"] and departments["x"] < groups["x"]
    page.screenshot(path=artifact("dashboard-1920.png"), full_page=True)

    page = signed_in_page(contexts, live_server, admin, LAPTOP)
    page.goto(live_server.url + "/studio/demo/people/")
    table = page.locator("table.people").bounding_box()
    assert table["x"] + table["width"] <= LAPTOP["width"]  # nothing cut off at 1280 pixels
