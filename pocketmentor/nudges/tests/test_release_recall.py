"""The week's release says how many key points are due for recall: no extra message."""

import uuid

import time_machine

from pocketmentor.learning.services import recall_answer, response_record
from pocketmentor.nudges.tests.conftest import at, local, parts
from pocketmentor.programs.models import RecallQuestion


def test_the_release_mentions_the_key_points_due_in_each_persons_language(
    ann, bob, program, inbox, worker
):
    unit = program.units.get(number=3)
    points = [
        RecallQuestion.objects.create(unit=unit, position=n, prompt=f"Point {n}?", answer="A.")
        for n in (1, 2, 3)
    ]
    for person in (ann, bob):
        with time_machine.travel(local(2026, 3, 17, 9, 0), tick=False):  # in week 3
            response_record(
                enrollment=person.enrollments.get(),
                activity=unit.activities.get(kind="task"),
                key=uuid.uuid4(),
            )
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
        worker.run_until_idle()
    [to_ann], [to_bob] = inbox.to("ann@fjordvik.example"), inbox.to("bob@fjordvik.example")
    text, html = parts(to_ann)
    assert "Du har også 3 hovedpoeng å repetere." in text
    assert "<p>Du har også 3 hovedpoeng å repetere.</p>" in html
    text, html = parts(to_bob)
    assert "You also have 3 key points to recall.\r\nIt takes about five minutes." in text
    assert len(inbox.messages) == 2  # no message of its own
    # Ann recalls all three easily in weeks 4 and 5: FSRS puts them 8, then 39 days on.
    for day in (24, 31):
        for point in points:
            with time_machine.travel(local(2026, 3, day, 9, 0), tick=False):
                recall_answer(
                    enrollment=ann.enrollments.get(), question=point, key=uuid.uuid4(), rating=4
                )
    inbox.clear()
    with at(local(2026, 4, 6, 7, 30, 5)):
        worker.run_until_idle()
        worker.run_until_idle()
    text, _html = parts(inbox.to("ann@fjordvik.example")[0])
    assert "Uke 6 i Leading er åpen" in text and "hovedpoeng" not in text
    text, _html = parts(inbox.to("bob@fjordvik.example")[0])
    assert "You also have 3 key points to recall." in text  # still due: never answered


def test_a_release_without_key_points_due_says_nothing_of_recall(ann, program, inbox, worker):
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
        worker.run_until_idle()
    text, html = parts(inbox.to("ann@fjordvik.example")[0])
    assert "\x00" not in text + html
    assert "hovedpoeng" not in text
