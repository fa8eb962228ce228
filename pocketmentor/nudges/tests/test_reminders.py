"""Reminders: only to those who have not started this week, at most N, then a pause."""

from pocketmentor.conftest import answer
from pocketmentor.nudges.models import Nudge, NudgeRules
from pocketmentor.nudges.tests.conftest import at, local


def unit_activity(program, week, kind="task"):
    return program.units.get(number=week).activities.get(kind=kind)


def reminders(inbox, address):
    return [m["Subject"] for m in inbox.to(address) if "minut" in m["Subject"]]


def test_reminders_go_to_the_inactive_at_most_twice_then_pause_until_active(
    ann, bob, program, inbox, worker
):
    with at(local(2026, 3, 23, 7, 31)):
        worker.run_until_idle()  # week 4 opens
    with at(local(2026, 3, 24, 10, 0)):
        answer(ann.enrollments.get(), unit_activity(program, 4), text="Done")
    for moment in [
        local(2026, 3, 25, 12, 0, 5),  # Wednesday: the first reminder
        local(2026, 3, 27, 12, 0, 5),  # Friday: the second
        local(2026, 3, 30, 7, 30, 5),  # week 5 opens (summer time)
        local(2026, 4, 1, 12, 0, 5),  # Wednesday: paused, two reminders without activity
    ]:
        with at(moment):
            worker.run_until_idle()
    # Ann started week 4 herself; week 5 she has not started.
    assert reminders(inbox, "ann@fjordvik.example") == ["Fem minutter til uke 5?"]
    assert reminders(inbox, "bob@fjordvik.example") == ["Five minutes for week 4?"] * 2
    paused = Nudge.objects.get(person=bob, kind="reminder", unit__number=5, slot=0)
    assert (paused.state, paused.error) == ("skipped", "paused")

    with at(local(2026, 4, 2, 9, 0)):  # bob is active again
        answer(bob.enrollments.get(), unit_activity(program, 5), text="Back")
    for moment in [
        local(2026, 4, 3, 12, 0, 5),
        local(2026, 4, 6, 7, 30, 5),
        local(2026, 4, 8, 12, 0, 5),
    ]:
        with at(moment):
            worker.run_until_idle()
    # None for week 5, where he did something; week 6 reminds him again.
    assert reminders(inbox, "bob@fjordvik.example") == ["Five minutes for week 4?"] * 2 + [
        "Five minutes for week 6?"
    ]
    # Ann had her two for week 5 without doing anything: week 6 leaves her in peace.
    assert reminders(inbox, "ann@fjordvik.example") == ["Fem minutter til uke 5?"] * 2
    assert Nudge.objects.get(person=ann, kind="reminder", unit__number=6, slot=0).error == "paused"


def test_activity_after_planning_cancels_the_reminder(bob, program, inbox, worker):
    with at(local(2026, 3, 25, 11, 0)):
        worker.run_until_idle()
    reminder = Nudge.objects.get(person=bob, kind="reminder", slot=0)
    assert reminder.state == "pending"
    with at(local(2026, 3, 25, 11, 30)):
        answer(bob.enrollments.get(), unit_activity(program, 4, "quiz"))
    with at(local(2026, 3, 25, 12, 0, 5)):
        worker.run_until_idle()
    reminder.refresh_from_db()
    assert (reminder.state, reminder.error) == ("skipped", "active")
    assert reminders(inbox, "bob@fjordvik.example") == []


def test_reminders_can_be_turned_off_per_program(bob, program, inbox, worker):
    NudgeRules.objects.create(organization=program.organization, program=program, reminders=False)
    with at(local(2026, 3, 25, 12, 0, 5)):
        worker.run_until_idle()
    assert not Nudge.objects.filter(kind="reminder").exists()
    assert inbox.messages == []


def test_a_person_may_choose_their_own_reminder_day_and_time(bob, program, inbox, worker):
    import datetime as dt

    from pocketmentor.nudges.models import Preference

    Preference.objects.create(person=bob, reminder_weekday=5, reminder_time=dt.time(8, 15))
    for moment in [local(2026, 3, 25, 12, 0, 5), local(2026, 3, 26, 20, 0)]:
        with at(moment):
            worker.run_until_idle()
    assert reminders(inbox, "bob@fjordvik.example") == []  # not on the program's Wednesday
    with at(local(2026, 3, 27, 8, 15, 5)):  # his Friday, 08:15
        worker.run_until_idle()
    assert reminders(inbox, "bob@fjordvik.example") == ["Five minutes for week 4?"]
