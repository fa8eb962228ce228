"""The week's release says how many key points are due for recall, by e-mail and on the phone:
no extra message; and a recall is not the week's own challenge for a reminder."""

import uuid

import time_machine

from pocketmentor.learning.services import recall_answer, response_record
from pocketmentor.nudges.tests.conftest import at, local, parts
from pocketmentor.nudges.tests.test_push import subscribe
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


def test_the_release_on_the_phone_mentions_the_key_points_due_too(
    ann, program, inbox, push_service, worker
):
    phone = subscribe(ann, push_service)
    unit = program.units.get(number=3)
    for n in (1, 2):
        RecallQuestion.objects.create(unit=unit, position=n, prompt=f"Point {n}?", answer="A.")
    with time_machine.travel(local(2026, 3, 17, 9, 0), tick=False):  # in week 3
        response_record(
            enrollment=ann.enrollments.get(),
            activity=unit.activities.get(kind="task"),
            key=uuid.uuid4(),
        )
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
        worker.run_until_idle()
    [request] = push_service.requests
    payload = phone.read(request["body"])
    assert payload["body"] == "Uke 4 er åpen: Week 4 challenge Du har også 2 hovedpoeng å repetere."
    assert len(inbox.messages) == 1  # the same release by e-mail, and no message of its own


def test_a_recall_is_not_the_weeks_own_challenge_and_leaves_the_reminder(
    ann, program, inbox, worker
):
    unit = program.units.get(number=3)
    point = RecallQuestion.objects.create(unit=unit, position=1, prompt="Point?", answer="A.")
    with time_machine.travel(local(2026, 3, 17, 9, 0), tick=False):  # in week 3
        response_record(
            enrollment=ann.enrollments.get(),
            activity=unit.activities.get(kind="task"),
            key=uuid.uuid4(),
        )
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()  # week 4 opens
    with time_machine.travel(local(2026, 3, 24, 9, 0), tick=False):
        recall_answer(enrollment=ann.enrollments.get(), question=point, key=uuid.uuid4(), rating=3)
    inbox.clear()
    with at(local(2026, 3, 25, 12, 0, 5)):  # Wednesday: the first reminder
        worker.run_until_idle()
    assert [m["Subject"] for m in inbox.to("ann@fjordvik.example")] == ["Fem minutter til uke 4?"]
