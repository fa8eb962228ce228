"""The week's release says how many key points are due for recall, by e-mail and on the phone:
no extra message; and a recall is not the week's own challenge for a reminder."""

import uuid

import time_machine

from pocketmentor.learning.services import recall_answer, response_record
from pocketmentor.nudges.tests.conftest import at, local, parts
from pocketmentor.nudges.tests.test_push import subscribe
from pocketmentor.programs.models import RecallQuestion


def _points_in_week_3(program, count):
    """`count` key points of week 3, due for recall once week 4 opens."""
    unit = program.units.get(number=3)
    return [
        RecallQuestion.objects.create(unit=unit, position=n, prompt=f"Point {n}?", answer="A.")
        for n in range(1, count + 1)
    ]


def _did_week_3(person, program):
    """The person did week 3's task in week 3, so its key points come back."""
    with time_machine.travel(local(2026, 3, 17, 9, 0), tick=False):  # in week 3
        response_record(
            enrollment=person.enrollments.get(),
            activity=program.units.get(number=3).activities.get(kind="task"),
            key=uuid.uuid4(),
        )


def _release_week_4(worker):
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
        worker.run_until_idle()


def test_the_release_mentions_the_key_points_due_in_each_persons_language(
    ann, bob, program, inbox, worker
):
    points = _points_in_week_3(program, 3)
    for person in (ann, bob):
        _did_week_3(person, program)
    _release_week_4(worker)
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
    _release_week_4(worker)
    text, html = parts(inbox.to("ann@fjordvik.example")[0])
    assert "\x00" not in text + html
    assert "hovedpoeng" not in text


def test_the_release_on_the_phone_mentions_the_key_points_due_too(
    ann, program, inbox, push_service, worker
):
    phone = subscribe(ann, push_service)
    _points_in_week_3(program, 2)
    _did_week_3(ann, program)
    _release_week_4(worker)
    [request] = push_service.requests
    payload = phone.read(request["body"])
    assert payload["body"] == "Uke 4 er åpen: Week 4 challenge Du har også 2 hovedpoeng å repetere."
    assert len(inbox.messages) == 1  # the same release by e-mail, and no message of its own


def test_a_recall_is_not_the_weeks_own_challenge_and_leaves_the_reminder(
    ann, program, inbox, worker
):
    [point] = _points_in_week_3(program, 1)
    _did_week_3(ann, program)
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()  # week 4 opens
    with time_machine.travel(local(2026, 3, 24, 9, 0), tick=False):
        recall_answer(enrollment=ann.enrollments.get(), question=point, key=uuid.uuid4(), rating=3)
    inbox.clear()
    with at(local(2026, 3, 25, 12, 0, 5)):  # Wednesday: the first reminder
        worker.run_until_idle()
    assert [m["Subject"] for m in inbox.to("ann@fjordvik.example")] == ["Fem minutter til uke 4?"]
