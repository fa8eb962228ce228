"""Sharing with two audiences in Chromium, in Norwegian and English: the leader ticks the group
and the facilitators; the facilitator sees it in the feed and replies without leaving the list;
a member of another group never sees it. axe finds nothing serious on the pages used."""

import pytest
from playwright.sync_api import expect

from pocketmentor.conftest import enroll, make_person
from pocketmentor.learning.models import Feedback, Response
from pocketmentor.programs.models import Group
from pocketmentor.tests.chromium import (
    axe_clean,
    needs_chromium,
    ready,
    running_program,
    signed_in_page,
)

pytestmark = needs_chromium
WORDS = {
    "nb": {"text": "Refleksjonen din", "group": "Gruppen min", "facilitators": "Tilretteleggerne",
           "save": "Lagre refleksjon", "reply": "Svaret ditt", "send": "Send svar",
           "sent": "Svaret ditt er sendt."},
    "en": {"text": "Your reflection", "group": "My group", "facilitators": "The facilitators",
           "save": "Save reflection", "reply": "Your reply", "send": "Send reply",
           "sent": "Your reply is sent."},
}  # fmt: skip


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


@pytest.fixture
def people(transactional_db):
    program = running_program()
    org = program.organization
    a, b = (Group.objects.create(program=program, name=name) for name in ("A", "B"))
    found = {"program": program, "group": a}
    for name, group in (("kari", a), ("mate", a), ("other", b)):
        found[name] = make_person(f"{name}@fjordvik.example", org=org, role="participant")
        enroll(found[name], program, group)
    found["coach"] = make_person("coach@fjordvik.example", org=org, role="facilitator")
    return found


@pytest.mark.parametrize("language", ["nb", "en"])
def test_shared_with_the_group_and_the_facilitators_who_reply_in_the_feed(
    browser, live_server, people, language
):
    words = WORDS[language]
    text = f"Jeg lyttet før jeg svarte ({language})."
    context, page = signed_in_page(browser, live_server, people["kari"], language=language)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/o/fjordvik/lead/")
    ready(page)
    reflection = page.locator("section.activity").first
    reflection.get_by_label(words["text"]).fill(text)
    reflection.get_by_label(words["group"]).check()
    reflection.get_by_label(words["facilitators"]).check()
    axe_clean(page)
    reflection.get_by_role("button", name=words["save"]).click()
    expect(page.locator("section.activity.done").first).to_be_visible()
    shared = Response.objects.get(text=text)
    assert shared.audiences == ["group", "facilitators"]
    context.close()

    context, page = signed_in_page(browser, live_server, people["coach"], language=language)
    feed = f"{live_server.url}/studio/fjordvik/p/lead/shared/?group={people['group'].pk}"
    page.goto(feed)
    ready(page)
    item = page.locator(f"#shared-{shared.pk}")
    expect(item.get_by_text(text)).to_be_visible()
    axe_clean(page)
    item.get_by_label(words["reply"]).fill("Godt gjort!")
    item.get_by_role("button", name=words["send"]).click()
    item = page.locator(f"#shared-{shared.pk}")
    expect(item.get_by_text(words["sent"])).to_be_visible()
    expect(item.get_by_text("Godt gjort!")).to_be_visible()
    assert page.url == feed  # the list stayed, with its filter
    assert Feedback.objects.get().response == shared
    axe_clean(page)
    context.close()

    context, page = signed_in_page(browser, live_server, people["other"], language=language)
    page.goto(f"{live_server.url}/o/fjordvik/lead/group/")
    ready(page)
    assert text not in page.content()
    context.close()
    context, page = signed_in_page(browser, live_server, people["mate"], language=language)
    page.goto(f"{live_server.url}/o/fjordvik/lead/group/")
    ready(page)
    expect(page.get_by_text(text)).to_be_visible()
    context.close()
