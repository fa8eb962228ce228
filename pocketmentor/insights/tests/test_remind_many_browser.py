"""Reminders to several people at risk in Chromium, in Norwegian and English: select all,
confirm how many, and the result; axe finds nothing serious on the pages used."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pocketmentor.conftest import enroll, make_person
from pocketmentor.insights.models import Engagement
from pocketmentor.nudges.models import Nudge
from pocketmentor.tests.chromium import (
    axe_clean,
    needs_chromium,
    ready,
    running_program,
    signed_in_page,
)

pytestmark = needs_chromium
WORDS = {
    "nb": {"all": "Velg alle på denne siden", "ticked": "Minn på dem som er krysset av",
           "question": "Sende en påminnelse til 3 personer?", "send": "Send 3 påminnelser",
           "done": "3 påminnelser planlagt."},
    "en": {"all": "Select all on this page", "ticked": "Remind the ticked people",
           "question": "Send a reminder to 3 people?", "send": "Send 3 reminders",
           "done": "3 reminders planned."},
}  # fmt: skip


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def coach(transactional_db):
    program = running_program()
    org = program.organization
    for n in range(3):
        person = make_person(f"quiet{n}@fjordvik.example", org=org, role="participant")
        enrollment = enroll(person, program)
        enrollment.enrolled_at = timezone.now() - dt.timedelta(days=30)
        enrollment.save()
        Engagement.objects.create(enrollment=enrollment, program=program)
    return make_person("coach@fjordvik.example", org=org, role="facilitator")


@pytest.mark.parametrize("language", ["nb", "en"])
def test_select_all_confirm_and_the_result(browser, live_server, coach, language):
    words = WORDS[language]
    context, page = signed_in_page(browser, live_server, coach, language=language)
    page.goto(f"{live_server.url}/studio/fjordvik/p/lead/insights/#at-risk")
    ready(page)
    page.get_by_label(words["all"]).check()
    expect(page.locator("input[name=enrollment]:checked")).to_have_count(3)
    axe_clean(page)
    page.get_by_role("button", name=words["ticked"]).click()
    expect(page.get_by_role("heading", name=words["question"])).to_be_visible()
    axe_clean(page)
    page.get_by_role("button", name=words["send"]).click()
    expect(page.get_by_text(words["done"])).to_be_visible()
    axe_clean(page)
    assert Nudge.objects.filter(kind="reminder").count() == 3
    context.close()
