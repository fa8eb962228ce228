"""Pages: preferences without signing in, one-click unsubscribe, and the studio's log and rules."""

import datetime as dt

import pytest
from django.test import Client

from pocketmentor.conftest import signed_in
from pocketmentor.nudges.models import Delivery, Nudge, NudgeRules, Preference
from pocketmentor.nudges.planning import plan
from pocketmentor.nudges.preferences import preference_token
from pocketmentor.nudges.tests.conftest import at, local


def preferences_url(person) -> str:
    return f"/nudges/preferences/{preference_token(person)}/"


def test_the_preferences_link_works_without_signing_in(ann, program):
    page = Client().get(preferences_url(ann))
    assert page.status_code == 200
    assert "ann@fjordvik.example" in page.content.decode()
    assert b'id="push-on"' not in page.content  # push needs the person signed in on the phone
    response = Client().post(
        preferences_url(ann),
        {"enabled": "on", "push": "on", "reminders": "on", "reminder_weekday": "4",
         "reminder_time": "08:15", "time_zone": "Europe/Oslo"},
    )  # fmt: skip
    assert response.status_code == 302
    preference = Preference.objects.get(person=ann)
    assert (preference.email, preference.reminder_weekday) == (False, 4)
    assert preference.reminder_time == dt.time(8, 15)


def test_the_preferences_page_speaks_for_the_organization_in_plain_words(ann, settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    page = Client().get(preferences_url(ann)).content.decode()
    assert "Velg hva Fjordvik kommune sender til ann@fjordvik.example." in page
    assert "---------" not in page
    assert '<option value="" selected>Dagen programmet har valgt</option>' in page
    # Without keys for notifications, nothing asks the person to open the page in the app.
    assert "Varsler på denne telefonen" not in page


def test_the_preferences_page_offers_notifications_when_the_installation_has_keys(ann, settings):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "public", "private"
    page = Client().get(preferences_url(ann)).content.decode()
    assert "Varsler på denne telefonen" in page
    assert 'id="push-on"' not in page  # only for the person signed in on their phone


def test_a_tampered_or_foreign_token_is_refused(ann, bob):
    token = preference_token(ann)
    forged = token.replace(f"{ann.pk}:", f"{bob.pk}:", 1)
    assert Client().get(f"/nudges/preferences/{forged}/").status_code == 404
    assert Client().post(f"/nudges/unsubscribe/{forged}/").status_code == 404
    assert Client().get("/nudges/preferences/nonsense/").status_code == 404
    assert not Preference.objects.filter(enabled=False).exists()


def test_an_invalid_time_zone_is_refused_with_the_form(ann):
    response = Client().post(preferences_url(ann), {"enabled": "on", "time_zone": "Mars/Base"})
    assert response.status_code == 400 and 'class="field invalid"' in response.content.decode()


def test_opening_the_unsubscribe_link_asks_and_posting_it_unsubscribes(ann, program):
    with at(local(2026, 3, 23, 6, 0)):
        plan()
    url = f"/nudges/unsubscribe/{preference_token(ann)}/"
    assert Client().get(url).status_code == 200  # a link checker changes nothing
    assert Preference.objects.get(person=ann).enabled
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Preference.objects.get(person=ann).enabled
    assert Nudge.objects.get(person=ann).state == "skipped"  # waiting messages too, at once


def test_changing_the_reminder_time_plans_waiting_reminders_again(bob, program):
    with at(local(2026, 3, 25, 8, 0)):
        plan()
        assert Nudge.objects.get(kind="reminder").due_at == local(2026, 3, 25, 12, 0)
        Client().post(preferences_url(bob), {"enabled": "on", "email": "on", "reminders": "on",
                                             "reminder_time": "09:30"})  # fmt: skip
        plan()
    assert Nudge.objects.get(kind="reminder").due_at == local(2026, 3, 25, 9, 30)


def test_a_signed_in_person_finds_their_preferences(ann):
    response = signed_in(ann).get("/nudges/preferences/")
    assert response.status_code == 302 and response["Location"] == preferences_url(ann)
    assert Client().get("/nudges/preferences/").status_code == 302


# The studio -------------------------------------------------------------------------------

PAGE = "/studio/fjordvik/p/lead/nudges/"
RULES = PAGE + "rules/"


@pytest.fixture
def history(ann, bob, program, inbox, worker):
    inbox.replies = ["550 5.1.1 Mailbox unknown"]
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    return Nudge.objects.all()


def test_admins_and_facilitators_see_what_was_sent_to_whom_and_the_failures(
    history, admin_user, facilitator
):
    for person in (admin_user, facilitator):
        page = signed_in(person).get(PAGE)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Ann" in html and "Bob" in html and "Uka åpner" in html
        assert "550 5.1.1 Mailbox unknown" in html  # the failure with its reason
    assert Delivery.objects.filter(ok=False).count() == 1
    failed = signed_in(admin_user).get(PAGE + "?state=failed").content.decode()
    assert failed.count("<tr>") == 4  # two tables: headers, the failure, the failed message


def test_only_admins_change_the_rules(program, admin_user, facilitator):
    form = {"day_starts": "08:00", "day_ends": "16:00", "working_days": ["1", "2", "3", "4"],
            "min_gap_hours": "24", "releases": "on", "reminders": "on", "reminder_weekday": "4",
            "reminder_time": "10:00", "reminder_every_days": "1", "max_reminders": "1",
            "seminar_notice_days": "2", "digest_weekday": "1", "digest_time": "09:00"}  # fmt: skip
    assert signed_in(facilitator).post(RULES, form).status_code == 404
    assert b"disabled" in signed_in(facilitator).get(PAGE).content
    assert signed_in(admin_user).post(RULES, form).status_code == 302
    rules = NudgeRules.objects.get(program=program)
    assert (rules.working_days, rules.min_gap_hours, rules.digests) == ("1234", 24, False)
    bad = signed_in(admin_user).post(RULES, form | {"day_ends": "07:00"})
    assert bad.status_code == 400 and "Slutten må komme etter starten" in bad.content.decode()
    signed_in(admin_user).post(RULES, {"inherit": "1"})
    assert not NudgeRules.objects.filter(program=program).exists()


def test_the_organizations_rules_apply_to_programs_without_their_own(program, admin_user):
    client = signed_in(admin_user)
    assert client.get("/studio/fjordvik/nudges/").status_code == 200
    form = {"day_starts": "09:00", "day_ends": "00:00", "working_days": ["1", "2", "3", "4", "5"],
            "min_gap_hours": "0", "reminder_weekday": "2", "reminder_time": "09:00",
            "reminder_every_days": "2", "max_reminders": "0", "seminar_notice_days": "3",
            "digest_weekday": "5", "digest_time": "13:00"}  # fmt: skip
    assert client.post("/studio/fjordvik/nudges/rules/", form).status_code == 302
    from pocketmentor.nudges.rules import rules_for

    assert rules_for(program).day_starts == dt.time(9, 0)


def test_the_staff_pages_are_closed_to_everyone_else(program, ann, outsider):
    assert signed_in(ann).get(PAGE).status_code == 404  # a participant
    assert signed_in(outsider).get(PAGE).status_code == 404  # another organization
    assert signed_in(outsider).post(RULES, {}).status_code == 404
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/new/")


def test_wrong_methods_are_refused(program, admin_user):
    client = signed_in(admin_user)
    assert client.post(PAGE).status_code == 405
    assert client.get(RULES).status_code == 405
    assert client.put(PAGE).status_code == 405
    assert Client().delete("/nudges/push/subscribe/").status_code == 405


def test_erasing_a_person_removes_their_messages_choices_and_phones(ann, program):
    from pocketmentor.nudges.models import PushSubscription
    from pocketmentor.nudges.privacy import erase_nudges

    with at(local(2026, 3, 23, 6, 0)):
        plan()
    PushSubscription.objects.create(
        person=ann, endpoint="https://fcm.googleapis.com/x", p256dh="k", auth="a"
    )
    erase_nudges(ann)
    erase_nudges(ann)
    assert not Nudge.objects.filter(person=ann).exists()
    assert not Preference.objects.filter(person=ann).exists()
    assert not PushSubscription.objects.filter(person=ann).exists()
