"""The browser tests' own guards: a static file that fails is noticed, no wait is endless."""

from pocketmentor.tests.chromium import WAIT_MS, evaluate_within, needs_chromium

pytestmark = needs_chromium


def test_a_static_file_that_fails_is_noted(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/static/pocketmentor/missing.js")
    noted, browser.broken[:] = list(browser.broken), []  # noted here, so this test passes
    context.close()
    assert noted == [f"404 {live_server.url}/static/pocketmentor/missing.js"]


def test_a_promise_that_never_settles_fails_instead_of_hanging(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/healthz")
    try:
        evaluate_within(page, "() => new Promise(() => {})")
    except Exception as error:  # Playwright's Error
        assert f"no answer within {WAIT_MS} ms" in str(error)
    else:
        raise AssertionError("an endless promise returned")
    finally:
        context.close()
