"""Chromium for the browser tests: where it is, how it starts, a phone's size, axe, and the
program running now that tests on the real clock share."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from pocketmentor.orgs.models import Organization
from pocketmentor.programs.models import Program

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Every wait of a browser test ends: 15 s is far past a page on a busy two-core machine.
WAIT_MS = 15_000
# The choice a participant makes with "Show everything on one page" (app.js).
WHOLE_PAGE = "try { localStorage.setItem('pm-steps', 'all') } catch (error) {}"


class BoundedBrowser:
    """Chromium whose contexts bound every wait and note every static file that fails.

    A static file answering 4xx or 5xx (a fingerprinted name the server cannot serve, say)
    fails the test that met it (see the `_static_files_served` fixture), instead of leaving
    it waiting for a script that never runs.
    """

    def __init__(self, browser):
        self._browser = browser
        self.broken: list[str] = []

    def new_context(self, *, one_card_at_a_time: bool = False, **options):
        """A context; on a phone, unit pages show the whole unit unless `one_card_at_a_time`.

        One card at a time is the default on small screens; tests about answering see the whole
        unit, as a participant who chose "Show everything on one page" does.
        """
        context = self._browser.new_context(**options)
        if not one_card_at_a_time:
            context.add_init_script(WHOLE_PAGE)
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        context.on("response", self._note)
        return context

    def _note(self, response) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.broken.append(f"{response.status} {response.url}")

    def __getattr__(self, name):
        return getattr(self._browser, name)


def ready(page) -> None:
    """Wait until the page's scripts are attached (app.js marks <html data-ready>) and its
    stylesheets applied: a layout measured before a busy server sent the CSS is unstyled."""
    page.locator("html[data-ready]").wait_for(state="attached")
    page.wait_for_load_state("load")


def evaluate_within(page, promise: str, *args):
    """Evaluate a script that returns a promise, failing after WAIT_MS instead of hanging."""
    race = (
        f"(args) => Promise.race([({promise})(...args), new Promise((_, fail) => "
        f"setTimeout(() => fail(new Error('no answer within {WAIT_MS} ms')), {WAIT_MS}))])"
    )
    return page.evaluate(race, list(args))


def signed_in_page(browser, live_server, user, *, language: str, viewport=LAPTOP, **options):
    """A new context and page of `user`, signed in, reading `language` (their choice too)."""
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    # axe is evaluated in the page; the page's Content-Security-Policy would refuse it.
    context = browser.new_context(viewport=viewport, locale=language, bypass_csp=True, **options)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context, context.new_page()


def serious_violations(page) -> list[str]:
    """What axe-core finds serious or critical on the page, against WCAG 2.1 AA."""
    # Evaluated, not added as a <script>: the page's Content-Security-Policy blocks inline ones.
    page.evaluate(AXE.read_text())
    result = evaluate_within(
        page, "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def axe_clean(page) -> None:
    """Once the page's scripts ran, axe finds nothing serious (where axe-core is installed)."""
    ready(page)
    if AXE.exists():
        assert serious_violations(page) == []


needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium); CI always runs this.",
    ),
]


def artifact(name: str) -> str:
    """Where a test leaves a screenshot for people to look at."""
    folder = os.environ.get("TEST_ARTIFACTS", "test-artifacts")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


def running_program() -> Program:
    """Fjordvik's program of three weeks from ten days ago: week 2 runs whatever the time of
    day, on the real clock the browser tests keep (the browser keeps cookies by its own)."""
    from pocketmentor.conftest import make_unit  # which imports this module

    org = Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="nb")
    start = timezone.localdate() - dt.timedelta(days=10)
    program = Program.objects.create(
        organization=org, title="Leading", slug="lead", start_date=start, state="live"
    )
    for number in (1, 2, 3):
        make_unit(program, number)
    return program
