"""Spaced recall in a real Chromium: due key points answered offline and online, scheduled by
the fsrs package exactly as its own scheduler says."""

import datetime as dt

import fsrs
import pytest
from django.utils import timezone
from playwright.sync_api import expect
from sesame.utils import get_query_string

from pocketmentor import demo
from pocketmentor.learning.models import RecallAnswer, RecallCard
from pocketmentor.tests.chromium import PHONE, needs_chromium, ready

pytestmark = needs_chromium


@pytest.fixture(autouse=True)
def _frozen_clock():
    yield


def package_scheduler() -> fsrs.Scheduler:
    return fsrs.Scheduler(
        learning_steps=(), relearning_steps=(), maximum_interval=365, enable_fuzzing=False
    )


def state_of(card: RecallCard) -> fsrs.Card:
    return fsrs.Card(
        card_id=1,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due.astimezone(dt.UTC),
        last_review=card.last_review.astimezone(dt.UTC) if card.last_review else None,
    )


def recall(section) -> None:
    """Answer one key point as a participant does: a quiz's first option, or think, show the
    answer and say "I remembered"."""
    if section.locator("details").count():
        section.get_by_text("Tenk først, og vis så svaret").click()
        section.get_by_role("button", name="Jeg husket det").click()
    else:
        section.locator("label.choice").first.click()
        section.get_by_role("button", name="Svar").click()


def assert_scheduled_by_fsrs(participant, question_id: int, before: fsrs.Card, since) -> None:
    """The recall made since `since` (not the demo's history) scheduled what FSRS says."""
    answer = RecallAnswer.objects.filter(
        enrollment__user=participant, question_id=question_id, created_at__gte=since
    ).get()
    expected, _ = package_scheduler().review_card(
        before, fsrs.Rating(answer.rating), answer.created_at.astimezone(dt.UTC)
    )
    card = RecallCard.objects.get(enrollment__user=participant, question_id=question_id)
    assert card.due == expected.due == answer.due
    assert card.stability == pytest.approx(expected.stability)
    assert card.difficulty == pytest.approx(expected.difficulty)
    assert card.reps == answer.repetition


def test_due_key_points_are_recalled_offline_and_online_and_come_back_when_fsrs_says(
    browser, live_server, transactional_db
):
    demo.demo_seed(language="nb")
    participant = demo.demo_people()["participant"]
    context = browser.new_context(viewport=PHONE, locale="nb-NO")
    page = context.new_page()
    page.goto(live_server.url + "/login/" + get_query_string(participant))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/o/demo/ledelse/")
    ready(page)
    expect(page.get_by_role("heading", name="Husker du disse?")).to_be_visible()
    sections = page.locator("section.recall")
    assert 1 <= sections.count() <= 3
    ids = [int(s.get_attribute("id").removeprefix("recall-")) for s in sections.all()]
    assert len(ids) >= 2, "the demo's participant has at least two key points due"
    history = RecallAnswer.objects.filter(enrollment__user=participant).count()
    since = timezone.now()
    before = {
        card.question_id: state_of(card)
        for card in RecallCard.objects.filter(enrollment__user=participant, question_id__in=ids)
    }

    context.set_offline(True)
    first = page.locator(f"#recall-{ids[0]}")
    recall(first)
    expect(first.locator(".queued")).to_have_text("Venter på å bli sendt")
    assert RecallAnswer.objects.filter(enrollment__user=participant).count() == history

    context.set_offline(False)
    page.locator("#outbox", has_text="Svaret som var lagret på telefonen, er sendt.").wait_for()
    expect(first).to_have_class("recall done")
    assert_scheduled_by_fsrs(participant, ids[0], before[ids[0]], since)

    second = page.locator(f"#recall-{ids[1]}")  # online: stored at once, swapped in place
    recall(second)
    expect(second).to_have_class("recall done")
    assert_scheduled_by_fsrs(participant, ids[1], before[ids[1]], since)
    expect(second.get_by_text("Det kommer tilbake rundt")).to_be_visible()

    page.reload()  # the kept page was rendered afresh: both answered, nothing twice
    expect(page.locator("section.recall.done")).to_have_count(2)
    assert RecallAnswer.objects.filter(enrollment__user=participant).count() == history + 2
    context.close()
