"""Chromium reports no Content-Security-Policy violation on any kind of page.

Every page is watched twice: a `securitypolicyviolation` listener put in before the page's
own scripts run, and the console, where Chromium says "Refused to … Content Security Policy".
The last test plants violations to show that both would be seen.
"""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.learning.tests.test_accessibility import studio_pages
from pocketmentor.orgs.models import Organization
from pocketmentor.tests.chromium import PHONE, evaluate_within, needs_chromium, ready

pytestmark = needs_chromium

WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(
  `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
  + ` at ${event.sourceFile || location.pathname}:${event.lineNumber}`));
"""
# Violations are reported in tasks of their own: one more task and they are all in.
SETTLE = "() => new Promise((done) => setTimeout(done, 0))"


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def watched(browser, live_server, transactional_db):
    """A signed-in (or anonymous) page whose every CSP violation is noted."""
    demo.demo_seed(language="nb")
    opened = []

    def open_page(user=None):
        context = browser.new_context(viewport=PHONE, locale="nb-NO")
        opened.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies["sessionid"].value
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        context.add_init_script(WATCH)
        page = context.new_page()
        page.console_violations = []
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text
                and page.console_violations.append(message.text)
            ),
        )
        return page

    yield open_page
    for context in opened:
        context.close()


def violations(page) -> list[str]:
    evaluate_within(page, SETTLE)
    found = page.evaluate("window.cspViolations") + page.console_violations
    page.console_violations.clear()
    return found


def visit_all(page, live_server, paths, status=200) -> dict[str, list[str]]:
    """Load each page, wait for its scripts (app.js; the admin's own), note violations."""
    found = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == status, (path, response.status)
        if path.startswith("/admin/"):
            page.wait_for_load_state("load")
        else:
            ready(page)
        if problems := violations(page):
            found[path] = problems
    return found


PARTICIPANT = [
    "/o/demo/ledelse/", "/o/demo/ledelse/week/4/", "/o/demo/ledelse/week/1/",
    "/o/demo/ledelse/progress/", "/o/demo/ledelse/reflections/", "/nudges/preferences/",
    "/me/data/", "/offline/",
]  # fmt: skip
SIGNED_OUT = ["/login/new/", "/login/staff/", "/admin/login/", "/offline/"]


@pytest.mark.timeout(240)
def test_participant_and_sign_in_pages_break_no_policy(watched, live_server):
    participant = demo.demo_people()["participant"]
    page = watched(participant)
    found = visit_all(page, live_server, PARTICIPANT)
    # Kept pages are served a second time from memory: the same page, the same policy.
    found |= {f"{k} (kept)": v for k, v in visit_all(page, live_server, PARTICIPANT[:2]).items()}
    # An answer swapped in by the page's script, with a poll's bars or the quiz's feedback.
    page.goto(live_server.url + "/o/demo/ledelse/")
    ready(page)
    quiz = page.locator("section.activity").nth(2)
    quiz.locator("label.choice").first.click()
    quiz.get_by_role("button", name="Svar").click()
    page.get_by_text("Riktig!").or_(page.get_by_text("Ikke helt.")).wait_for()
    if problems := violations(page):
        found["an answer swapped in"] = problems
    # The readable data export styles itself by the answer's nonce.
    page.goto(live_server.url + "/me/data/export.html")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"
    if problems := violations(page):
        found["/me/data/export.html"] = problems
    signed_out = watched()
    found |= visit_all(
        signed_out, live_server, [*SIGNED_OUT, "/login/" + get_query_string(participant)]
    )
    found |= visit_all(signed_out, live_server, ["/login/?t=spoilt"], status=410)
    found |= visit_all(watched(), live_server, ["/no/such/page/"], status=404)
    assert found == {}


LOADED = """(selector) => new Promise((done) => {
    const element = document.querySelector(selector);
    element.addEventListener("error", () => done("error"));
    element.addEventListener("load", () => done("load"));
    element.addEventListener("loadedmetadata", () => done("load"));
    if (element.tagName === "VIDEO") { element.preload = "metadata"; element.load(); }
    else if (element.complete) done(element.naturalWidth ? "load" : "error");
    else element.scrollIntoView();
})"""


def test_images_and_videos_that_cards_link_on_other_https_sites_are_allowed(watched, live_server):
    from pocketmentor.programs.models import Card, Unit

    unit = Unit.objects.get(program__organization__slug="demo", number=1)
    elsewhere = "https://127.0.0.1:9"  # another origin, on this machine: it answers nothing
    Card.objects.create(unit=unit, position=0, kind="image", url=f"{elsewhere}/a.png", caption="A")
    Card.objects.create(unit=unit, position=0, kind="video", url=f"{elsewhere}/b.mp4", caption="B")
    page = watched(demo.demo_people()["participant"])
    page.goto(live_server.url + "/o/demo/ledelse/week/1/")
    ready(page)
    assert evaluate_within(page, LOADED, f"img[src='{elsewhere}/a.png']") == "error"
    assert evaluate_within(page, LOADED, f"video[src='{elsewhere}/b.mp4']") == "error"
    assert violations(page) == []
    # The check can fail: an image over plain http from elsewhere is refused, and seen.
    page.evaluate(
        """() => { const img = document.createElement("img");
        img.src = "http://127.0.0.1:9/c.png"; img.id = "planted"; document.body.append(img); }"""
    )
    evaluate_within(page, LOADED, "#planted")
    assert any(v.startswith("img-src blocked http://127.0.0.1:9/c.png") for v in violations(page))


@pytest.mark.timeout(360)  # some forty pages on a busy two-core machine
def test_studio_dashboard_admin_and_two_factor_pages_break_no_policy(watched, live_server):
    people = demo.demo_people()
    admin = people["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    org = Organization.objects.get(slug="demo")
    base = "/studio/demo/p/ledelse/"
    paths = [
        *studio_pages(),
        f"{base}insights/brief/",
        f"{base}go-live/",
        f"{base}people/invite/",
        "/admin/",
        "/admin/orgs/organization/",
        f"/admin/orgs/organization/{org.pk}/change/",
        "/admin/programs/program/",
        "/admin/accounts/user/",
        "/admin/audit/entry/",
    ]
    found = visit_all(watched(admin), live_server, paths)
    # The card editor's preview, swapped in by htmx as the author types.
    page = watched(admin)
    page.goto(f"{live_server.url}{base}weeks/1/cards/new/")
    ready(page)
    page.locator("main form textarea").first.fill("Dette er **forhåndsvisningen**.")
    page.locator("#preview strong", has_text="forhåndsvisningen").wait_for()
    if problems := violations(page):
        found["the card preview"] = problems
    # The second step of signing in, for someone with an authenticator app.
    facilitator = people["facilitator"]
    TOTPDevice.objects.create(user=facilitator, name="Telefon", confirmed=True)
    found |= visit_all(watched(facilitator), live_server, ["/login/two-factor/"])
    assert found == {}


def test_a_planted_inline_style_and_script_are_reported(watched, live_server):
    """The checks above can fail: what the policy blocks is seen."""
    page = watched()
    page.goto(live_server.url + "/login/new/")
    ready(page)
    page.evaluate("""() => {
        document.querySelector("main").setAttribute("style", "color: red");
        const script = document.createElement("script");
        script.textContent = "window.ran = true";
        document.body.append(script);
    }""")
    found = violations(page)
    assert page.evaluate("window.ran") is None  # the inline script did not run
    assert any(v.startswith("style-src-attr blocked inline") for v in found), found
    assert any(v.startswith("script-src-elem blocked inline") for v in found), found
    assert any("Content Security Policy" in v for v in found), found  # the console too
