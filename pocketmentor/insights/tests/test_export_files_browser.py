"""A large Excel export in Chromium: the button leads to a page that waits for the worker
(htmx asks again every three seconds), then offers the file; in Norwegian and English, axe
clean."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pocketmentor.insights import exports
from pocketmentor.insights.tests.test_exports_browser import admin  # noqa: F401 - a fixture
from pocketmentor.nudges.worker import run_tasks
from pocketmentor.tests.chromium import AXE, needs_chromium, serious_violations, signed_in_page

pytestmark = needs_chromium

WORDS = {
    "nb": ("Deltakere (Excel)", "Lager Excel-filen", "Excel-filen er klar", "Last ned", "Navn"),
    "en": ("Participants (Excel)", "Preparing the Excel file", "The Excel file is ready",
           "Download", "Name"),
}  # fmt: skip


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_page_waits_for_the_worker_then_offers_the_file(
    browser,
    live_server,
    admin,  # noqa: F811 - the fixture imported above
    language,
    monkeypatch,
):
    monkeypatch.setattr(exports, "XLSX_IN_REQUEST", 0)  # three leaders count as many
    button, preparing, ready_heading, download, name = WORDS[language]
    context, page = signed_in_page(
        browser, live_server, admin, language=language, accept_downloads=True
    )
    page.goto(f"{live_server.url}/studio/fjordvik/p/lead/insights/")
    page.get_by_role("link", name=button, exact=True).click()
    page.get_by_role("heading", name=preparing).wait_for()
    if AXE.exists():
        assert serious_violations(page) == []
    assert run_tasks(name="test") == 1
    # The page looks again by itself, and reloads once the file is made.
    page.get_by_role("heading", name=ready_heading).wait_for()
    if AXE.exists():
        assert serious_violations(page) == []
    with page.expect_download() as started:
        page.get_by_role("link", name=download).click()
    assert started.value.suggested_filename.startswith("lead-participants-")
    sheet = load_workbook(io.BytesIO(Path(started.value.path()).read_bytes())).active
    rows = list(sheet.values)
    assert rows[0][0] == name and len(rows) == 4  # the heading and three leaders
    context.close()
