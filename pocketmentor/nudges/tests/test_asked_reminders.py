"""The dashboard's reminder to a participant at risk goes as a nudge, under the nudge rules:
the person's choices, working hours, the unsubscribe link and what it does, the reminder cap,
once a day."""

import pytest
from django.test import Client

from pocketmentor.audit.models import Entry
from pocketmentor.conftest import signed_in
from pocketmentor.insights.models import Engagement
from pocketmentor.nudges.models import Nudge, NudgeRules, Preference
from pocketmentor.nudges.planning import ASKED_SLOT
from pocketmentor.nudges.preferences import preference_token
from pocketmentor.nudges.tests.conftest import at, local, parts

BASE = "/studio/fjordvik/p/lead/insights/"
TUESDAY = local(2026, 3, 24, 10, 0)  # week 4, within working hours


@pytest.fixture
def rules(program):
    """No week-opening messages, so the only messages to a participant are reminders."""
    return NudgeRules.objects.create(
        organization=program.organization, program=program, releases=False
    )


def remind(client, person):
    return client.post(BASE + f"remind/{person.enrollments.get().pk}/", follow=True)


def asked(person):
    return Nudge.objects.filter(person=person, kind="reminder", slot=ASKED_SLOT)


def test_the_reminder_is_a_nudge_with_the_unsubscribe_link_and_header(
    facilitator, bob, program, rules, inbox, worker
):
    client = signed_in(facilitator)
    with at(TUESDAY):
        page = remind(client, bob).content.decode()
        assert "En påminnelse med innloggingslenke er på vei til" in page
        worker.run_until_idle()
    [message] = inbox.to("bob@fjordvik.example")
    assert message["Subject"] == "Five minutes for week 4?"
    token = preference_token(bob)
    assert message["List-Unsubscribe"].strip().endswith(f"/nudges/unsubscribe/{token}/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert f"/nudges/preferences/{token}/" in text and f"/nudges/preferences/{token}/" in html
    assert "?t=" in text  # the sign-in link
    nudge = asked(bob).get()
    assert (nudge.state, nudge.unit.number) == ("sent", 4)
    # What the dashboard shows as "Reminded <date>", and the audit entry.
    assert Engagement.objects.get(enrollment__user=bob).reminded_at.date() == TUESDAY.date()
    assert Entry.objects.filter(action="reminder", person=bob).count() == 1


def test_a_person_who_turned_reminders_off_gets_none_and_the_facilitator_is_told(
    facilitator, bob, program, rules, inbox, worker
):
    Preference.objects.create(person=bob, reminders=False)
    with at(TUESDAY):
        page = remind(signed_in(facilitator), bob).content.decode()
        worker.run_until_idle()
    assert "har slått av påminnelser, så ingen ble sendt" in page
    assert inbox.to("bob@fjordvik.example") == []
    assert not asked(bob).exists()
    # Nothing is recorded as reminded, and nothing in the audit log.
    assert Engagement.objects.get(enrollment__user=bob).reminded_at is None
    assert not Entry.objects.filter(action="reminder").exists()


def test_outside_working_hours_the_reminder_waits_for_the_morning(
    facilitator, bob, program, rules, inbox, worker
):
    with at(local(2026, 3, 26, 21, 0)):  # Thursday evening
        remind(signed_in(facilitator), bob)
        worker.run_until_idle()
    assert inbox.to("bob@fjordvik.example") == []
    assert asked(bob).get().due_at == local(2026, 3, 27, 7, 0)
    with at(local(2026, 3, 27, 7, 0, 5)):
        worker.run_until_idle()
    assert [m["Subject"] for m in inbox.to("bob@fjordvik.example")] == ["Five minutes for week 4?"]


def test_an_unsubscribe_through_the_link_stops_a_waiting_reminder_and_the_next_ask(
    facilitator, bob, program, rules, inbox, worker
):
    client = signed_in(facilitator)
    with at(local(2026, 3, 26, 21, 0)):  # Thursday evening: it waits for the morning
        remind(client, bob)
    with at(local(2026, 3, 26, 22, 0)):  # the one-click link of an earlier message
        response = Client().post(
            f"/nudges/unsubscribe/{preference_token(bob)}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
    with at(local(2026, 3, 27, 7, 0, 5)):
        worker.run_until_idle()
    assert (asked(bob).get().state, asked(bob).get().error) == ("skipped", "unsubscribed")
    with at(local(2026, 3, 28, 21, 30)):  # asked again past the day's pause
        page = remind(client, bob).content.decode()
        worker.run_until_idle()
    assert "har slått av påminnelser, så ingen ble sendt" in page
    assert asked(bob).count() == 1
    assert inbox.to("bob@fjordvik.example") == []


def test_it_counts_toward_the_reminder_cap(facilitator, bob, program, rules, inbox, worker):
    rules.max_reminders = 1
    rules.save()
    with at(TUESDAY):
        remind(signed_in(facilitator), bob)
        worker.run_until_idle()
    with at(local(2026, 3, 25, 12, 0, 5)):  # Wednesday: the week's planned first reminder
        worker.run_until_idle()
    planned = Nudge.objects.get(person=bob, kind="reminder", unit__number=4, slot=0)
    assert (planned.state, planned.error) == ("skipped", "paused")
    assert len(inbox.to("bob@fjordvik.example")) == 1


def test_a_reminder_already_at_the_cap_is_not_sent(facilitator, bob, program, rules, inbox, worker):
    rules.max_reminders = 1
    rules.save()
    with at(local(2026, 3, 25, 12, 0, 5)):  # the planned reminder goes
        worker.run_until_idle()
    with at(local(2026, 3, 26, 10, 0)):
        remind(signed_in(facilitator), bob)
        worker.run_until_idle()
    assert (asked(bob).get().state, asked(bob).get().error) == ("skipped", "paused")
    assert len(inbox.to("bob@fjordvik.example")) == 1


def test_a_double_click_sends_one(facilitator, bob, program, rules, inbox, worker):
    client = signed_in(facilitator)
    with at(TUESDAY):
        remind(client, bob)
        page = remind(client, bob).content.decode()
        worker.run_until_idle()
    assert "fikk en påminnelse for mindre enn et døgn siden" in page
    assert asked(bob).count() == 1
    assert len(inbox.to("bob@fjordvik.example")) == 1
    assert Entry.objects.filter(action="reminder", person=bob).count() == 1


def test_only_the_programs_facilitators_may_ask(outsider, ann, bob, program, rules):
    url = BASE + f"remind/{bob.enrollments.get().pk}/"
    with at(TUESDAY):
        assert signed_in(outsider).post(url).status_code == 404
        assert signed_in(ann).post(url).status_code == 404  # a participant: no studio
    assert not Nudge.objects.filter(kind="reminder").exists()
    assert not Engagement.objects.filter(reminded_at__isnull=False).exists()
