"""Exports downloaded in Chromium as a staff member reads them: in their language's CSV dialect.

Norwegian: semicolons between columns and decimal commas, as a Norwegian spreadsheet splits
them; English: commas and decimal points. Both: a byte order mark, local times with their offset.
"""

import re
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pocketmentor.conftest import enroll, make_person
from pocketmentor.learning.services import response_record
from pocketmentor.programs.models import Activity
from pocketmentor.tests.chromium import (
    AXE,
    needs_chromium,
    ready,
    running_program,
    serious_violations,
    signed_in_page,
)

pytestmark = needs_chromium
OSLO = ZoneInfo("Europe/Oslo")
BOM = b"\xef\xbb\xbf"
LOCAL_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d"  # 2026-12-03 23:38+01:00

DIALECTS = {
    "nb": {
        "participants": "Deltakere (CSV)",
        "figures": "Tall (CSV)",
        "separator": ";",
        "header": "Navn;E-post;Gruppe;Avdeling;",
        "last": "Siste aktivitet (Europe/Oslo)",
        "rate": "Program;Leading;2;3;1;33,3",
    },
    "en": {
        "participants": "Participants (CSV)",
        "figures": "Figures (CSV)",
        "separator": ",",
        "header": "Name,E-mail,Group,Department,",
        "last": "Last activity (Europe/Oslo)",
        "rate": "Program,Leading,2,3,1,33.3",
    },
}


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def admin(transactional_db):
    """Week 2 of 3 is running; one of three leaders has done its task."""
    program = running_program()
    org = program.organization
    task = Activity.objects.get(unit__program=program, unit__number=2, kind="task")
    for number in range(1, 4):
        person = make_person(f"leder{number}@fjordvik.example", org=org, role="participant")
        enrollment = enroll(person, program)
        if number == 1:
            response_record(enrollment=enrollment, activity=task, key=uuid.uuid4())
    return make_person("hr@fjordvik.example", org=org, role="admin")


def download(page, link: str) -> bytes:
    with page.expect_download() as started:
        page.get_by_role("link", name=link, exact=True).click()
    return Path(started.value.path()).read_bytes()


@pytest.mark.parametrize("language", ["nb", "en"])
def test_exports_are_written_in_the_dialect_of_the_staff_members_language(
    browser, live_server, admin, language
):
    words = DIALECTS[language]
    context, page = signed_in_page(
        browser, live_server, admin, language=language, accept_downloads=True
    )
    page.goto(f"{live_server.url}/studio/fjordvik/p/lead/insights/")
    ready(page)
    if AXE.exists():
        assert serious_violations(page) == []
    expect(page.get_by_role("link", name=words["participants"], exact=True)).to_be_visible()

    data = download(page, words["participants"])
    assert data.startswith(BOM)
    lines = data[len(BOM) :].decode("utf-8").splitlines()
    header = lines[0].split(words["separator"])
    assert lines[0].startswith(words["header"])
    assert words["last"] in header
    assert len(lines) == 4  # the header and three leaders
    rows = {line.split(words["separator"])[1]: line.split(words["separator"]) for line in lines[1:]}
    assert all(len(row) == len(header) for row in rows.values())
    last = rows["leder1@fjordvik.example"][header.index(words["last"])]
    assert re.fullmatch(LOCAL_TIME, last), last
    assert last.endswith(timezone.now().astimezone(OSLO).isoformat()[-6:])  # Oslo's offset
    assert rows["leder2@fjordvik.example"][header.index(words["last"])] == ""

    data = download(page, words["figures"])
    assert data.startswith(BOM)
    lines = data[len(BOM) :].decode("utf-8").splitlines()
    assert words["rate"] in lines  # week 2: one of three active, 33.3 %
    context.close()
