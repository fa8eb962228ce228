"""The phone keeps every answer until the server has it: server errors, timeouts, new sign-ins.

Real Chromium at a phone's size against the live server; `page.route` makes the server's
answer fail once, or hang past the phone's timeout, without touching the server itself.
"""

import re

import pytest
from playwright.sync_api import expect
from sesame.utils import get_query_string

from pocketmentor.learning.models import Response
from pocketmentor.tests.chromium import PHONE, evaluate_within, needs_chromium, ready

pytestmark = needs_chromium
ANSWERS = "**/activities/**"


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def context(browser, transactional_db):
    context = browser.new_context(viewport=PHONE, locale="nb-NO")  # every wait bounded
    yield context
    context.close()


def sign_in(context, live_server, person, *, clock=False):
    """Open a new sign-in link in a new page of `context`; the page shows this week."""
    person.refresh_from_db()  # a link is signed over the last sign-in: the current one
    page = context.new_page()
    if clock:
        page.clock.install()
    page.goto(live_server.url + "/login/" + get_query_string(person))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/o/fjordvik/lead/")
    ready(page)
    return page


def sign_in_without_a_page(context, live_server, person):
    """A new sign-in in the same browser, with no page open to send what waits."""
    person.refresh_from_db()
    url = live_server.url + "/login/" + get_query_string(person)
    confirm = context.request.get(url).text()
    form = dict(re.findall(r'name="(csrfmiddlewaretoken|t)" value="([^"]+)"', confirm))
    assert context.request.post(url, form=form, max_redirects=0).status == 302


def back_online(page):
    """What the phone hears when its network returns."""
    page.evaluate("window.dispatchEvent(new Event('online'))")


def write_reflection(page, text):
    reflection = page.locator("section.activity").first
    reflection.get_by_label("Refleksjonen din").fill(text)
    reflection.get_by_role("button", name="Lagre refleksjon").click()
    return reflection


def stored(person):
    return list(Response.objects.filter(enrollment__user=person).values_list("text", flat=True))


def test_an_answer_met_by_a_server_error_is_kept_and_sent_again(context, live_server, ann):
    page = sign_in(context, live_server, ann)
    failed = []

    def fail_once(route):
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            route.fulfill(status=500, body="Database unavailable")

    page.route(ANSWERS, fail_once)
    reflection = write_reflection(page, "Skrevet mens serveren slet.")
    expect(reflection.locator(".queued")).to_have_text("Venter på å bli sendt")
    expect(page.locator("#outbox")).to_contain_text("sendt igjen om litt")
    expect(page.locator("section.activity.done")).to_have_count(1)  # sent again after ~2 s
    expect(page.locator("#outbox")).to_have_text("Svaret som var lagret på telefonen, er sendt.")
    assert len(failed) == 1
    assert stored(ann) == ["Skrevet mens serveren slet."]


def test_an_answer_whose_reply_never_comes_is_sent_again_and_stored_once(context, live_server, ann):
    page = sign_in(context, live_server, ann, clock=True)
    hung = []

    def hang_once(route):
        if hung:
            route.continue_()
        else:  # the server stores it, but its answer never reaches the phone
            hung.append(route.fetch().status)
            page.evaluate("document.documentElement.dataset.hung = ''")

    page.route(ANSWERS, hang_once)
    reflection = write_reflection(page, "Skrevet i en tunnel.")
    page.locator("html[data-hung]").wait_for(state="attached")
    assert hung == [200] and stored(ann) == ["Skrevet i en tunnel."]
    page.clock.fast_forward(16_000)  # past the phone's 15-second timeout
    expect(reflection.locator(".queued")).to_have_text("Venter på å bli sendt")
    page.clock.fast_forward(3_000)  # the first retry
    expect(page.locator("section.activity.done")).to_have_count(1)
    assert stored(ann) == ["Skrevet i en tunnel."]
    page.unroute_all(behavior="ignoreErrors")


def test_an_answer_kept_across_a_new_sign_in_is_sent_with_the_new_token(context, live_server, ann):
    page = sign_in(context, live_server, ann)
    page.route(ANSWERS, lambda route: route.abort("internetdisconnected"))
    reflection = write_reflection(page, "Skrevet før jeg logget inn på nytt.")
    expect(reflection.locator(".queued")).to_have_text("Venter på å bli sendt")

    # A new sign-in in the same browser changes the session and the CSRF token.
    sign_in_without_a_page(context, live_server, ann)
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if "/activities/" in r.url else None)
    page.unroute(ANSWERS)
    back_online(page)
    expect(page.locator("section.activity.done")).to_have_count(1)
    assert statuses == [403, 200]  # refused with the old token, sent with the new one
    assert stored(ann) == ["Skrevet før jeg logget inn på nytt."]


def test_an_answer_kept_while_signed_out_asks_to_sign_in_then_is_sent(context, live_server, ann):
    page = sign_in(context, live_server, ann)
    context.set_offline(True)
    write_reflection(page, "Skrevet før jeg ble logget ut.")
    expect(page.locator("#outbox")).to_contain_text("1 svar er lagret på denne telefonen")
    context.clear_cookies()  # signed out elsewhere, or the session ended
    context.set_offline(False)
    expect(page.locator("#outbox")).to_contain_text(
        "Logg inn igjen for å sende svarene som er lagret på telefonen."
    )
    expect(page.locator("#outbox a")).to_have_attribute("href", "/login/new/")
    assert stored(ann) == []

    again = sign_in(context, live_server, ann)  # the answer goes as soon as a page opens
    expect(again.locator("#outbox")).to_have_text("Svaret som var lagret på telefonen, er sendt.")
    expect(again.locator("section.activity.done")).to_have_count(1)
    assert stored(ann) == ["Skrevet før jeg ble logget ut."]


def test_a_replayed_edit_from_a_stale_page_shows_both_texts(context, live_server, ann):
    page = sign_in(context, live_server, ann)
    reflection = page.locator("section.activity").first
    activity_id = int(reflection.get_attribute("id").split("-")[1])
    context.set_offline(True)
    write_reflection(page, "Skrevet på telefonen.")
    Response.objects.create(
        enrollment=ann.enrollments.get(), activity_id=activity_id, text="Skrevet på PC-en."
    )
    context.set_offline(False)
    expect(page.locator(".conflict")).to_contain_text("Skrevet på PC-en.")
    expect(page.get_by_label("Refleksjonen din")).to_have_value("Skrevet på telefonen.")
    page.get_by_role("button", name="Behold min").click()
    expect(page.locator(".conflict")).to_have_count(0)
    assert stored(ann) == ["Skrevet på telefonen."]


def test_an_answer_the_server_refuses_shows_its_text_to_copy_and_stays(context, live_server, ann):
    page = sign_in(context, live_server, ann)
    context.set_offline(True)
    too_long = "Altfor lang tekst. " * 270  # over the 5,000 characters a reflection may have
    # The box stops typing at the limit; a page kept from before the limit would not.
    page.locator("section.activity textarea").first.evaluate("box => box.maxLength = 99999")
    write_reflection(page, too_long)
    context.set_offline(False)
    back_online(page)
    reflection = page.locator("section.activity").first
    expect(reflection.locator("[role=alert]")).to_contain_text("5000 eller færre tegn")
    assert reflection.get_by_label("Refleksjonen din").input_value() == too_long
    expect(reflection.locator(".queued")).to_contain_text("Ikke lagret ennå")
    page.reload()  # still on the phone, and back in its box
    ready(page)
    expect(reflection.locator("[role=alert]")).to_contain_text("5000 eller færre tegn")
    assert reflection.get_by_label("Refleksjonen din").input_value() == too_long
    assert stored(ann) == []


def test_an_edit_from_my_reflections_is_kept_offline_and_sent(context, live_server, ann):
    enrollment = ann.enrollments.get()
    reflection = enrollment.program.units.get(number=3).activities.get(kind="reflection")
    Response.objects.create(enrollment=enrollment, activity=reflection, text="Først skrevet.")
    page = sign_in(context, live_server, ann)
    assert evaluate_within(page, "() => navigator.serviceWorker.ready.then(() => true)")
    page.goto(live_server.url + "/o/fjordvik/lead/reflections/")  # the worker keeps a copy
    ready(page)
    context.set_offline(True)
    page.get_by_text("Endre", exact=True).click()
    page.get_by_label("Refleksjonen din").fill("Endret uten nett.")
    page.get_by_role("button", name="Lagre").click()
    expect(page.locator("#outbox")).to_contain_text("1 svar er lagret på denne telefonen")
    page.close()

    page = context.new_page()  # reopened offline: the copy the phone kept, the edit in its box
    page.goto(live_server.url + "/o/fjordvik/lead/reflections/")
    ready(page)
    expect(page.get_by_label("Refleksjonen din")).to_have_value("Endret uten nett.")
    expect(page.locator(".queued")).to_have_text("Venter på å bli sendt")
    context.set_offline(False)
    expect(page.locator(".quote")).to_have_text("Endret uten nett.")  # sent, page loaded anew
    assert stored(ann) == ["Endret uten nett."]
