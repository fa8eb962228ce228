"""Offline in a real Chromium: read the week, answer, close, reopen, come back online."""

import pytest
from playwright.sync_api import expect
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.learning.models import Response
from pocketmentor.orgs.models import Organization
from pocketmentor.tests.chromium import PHONE, evaluate_within, needs_chromium, ready

pytestmark = needs_chromium


@pytest.fixture(autouse=True)
def _frozen_clock():
    yield


def test_answers_given_offline_are_sent_once_when_back_online(
    browser, live_server, transactional_db
):
    demo.demo_seed(language="nb")
    Organization.objects.filter(slug="demo").update(primary_color="#7a1f5c")
    participant = demo.demo_people()["participant"]
    context = browser.new_context(viewport=PHONE, locale="nb-NO")
    page = context.new_page()
    page.goto(live_server.url + "/login/" + get_query_string(participant))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/o/demo/ledelse/")
    ready(page)
    assert evaluate_within(page, "() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the worker, which keeps a copy
    assert page.evaluate("!!navigator.serviceWorker.controller")

    # A repeat visit fetches only the page: styles and scripts come from the phone.
    static, colours = [], []
    page.on("response", lambda r: static.append(r) if "/static/" in r.url else None)
    page.on("response", lambda r: colours.append(r) if "/brand/" in r.url else None)
    page.reload()
    assert len(static) == 2 and all(r.from_service_worker for r in static)  # app.css, app.js
    assert len(colours) == 1 and colours[0].from_service_worker  # the organization's colours

    context.set_offline(True)
    page.reload()
    assert page.locator("h1").inner_text() == "Coachende samtaler"
    brand = "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
    assert page.evaluate(brand) == "#7a1f5c"  # offline too, in the organization's colours
    reflection, _task, quiz, _poll = page.locator("section.activity").all()
    reflection.get_by_label("Refleksjonen din").fill("Skrevet på toget uten nett.")
    reflection.get_by_role("button", name="Lagre refleksjon").click()
    page.get_by_text("Venter på å bli sendt").first.wait_for()
    quiz.locator("label.choice").first.click()
    quiz.get_by_role("button", name="Svar").click()
    page.locator("#outbox", has_text="2 svar").wait_for()

    # Opened again, still offline: the same tab, for a new one may run its scripts before the
    # browser applies the offline state to it, and send what waits.
    page.reload()
    assert page.evaluate("navigator.onLine") is False
    page.locator("#outbox", has_text="2 svar").wait_for()
    assert page.locator("section.activity.waiting").count() == 2
    # Each waiting answer is back in its box, as written, and says it waits.
    reflection, _task, quiz, _poll = page.locator("section.activity").all()
    expect(reflection.get_by_label("Refleksjonen din")).to_have_value("Skrevet på toget uten nett.")
    expect(quiz.locator("input[type=radio]").first).to_be_checked()
    expect(reflection.locator(".queued")).to_have_text("Venter på å bli sendt")
    expect(quiz.locator(".queued")).to_have_text("Venter på å bli sendt")
    assert not Response.objects.filter(enrollment__user=participant, activity__unit__number=5)

    context.set_offline(False)
    page.locator(
        "#outbox", has_text="Alle 2 svarene som var lagret på telefonen, er sendt."
    ).wait_for()
    stored = Response.objects.filter(enrollment__user=participant, activity__unit__number=5)
    assert sorted(r.activity.kind for r in stored) == ["quiz", "reflection"]
    assert stored.get(activity__kind="reflection").text == "Skrevet på toget uten nett."
    assert page.locator("section.activity.done").count() == 2
    page.reload()
    assert page.locator("section.activity.done").count() == 2
    assert stored.count() == 2
    context.close()
