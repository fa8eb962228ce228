"""What planning decides, before anything is sent: digests, the reminder cap, working hours;
a person's choices and what they do to waiting messages; claims, leases and backoff.

The program runs six weeks from Monday 2 March 2026, each week opening at 07:30 in Oslo;
summer time starts on Sunday 29 March. The default rules: messages 07:00-20:00 on weekdays,
reminders on Wednesday at 12:00 and two days later (two at most), the digest on Friday 13:00.
"""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from pocketmentor.conftest import enroll, make_person, make_program
from pocketmentor.learning.models import Response
from pocketmentor.nudges import dispatch, services
from pocketmentor.nudges.models import Nudge, NudgeRules, Preference, PushSubscription
from pocketmentor.nudges.planning import HORIZON, candidates
from pocketmentor.nudges.rules import next_allowed, rules_for
from pocketmentor.nudges.tests.conftest import local

UTC = dt.UTC
OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
SECOND = dt.timedelta(seconds=1)


def planned(now: dt.datetime, kind: str, *, horizon: dt.timedelta = HORIZON) -> list:
    """What planning at `now` would add of one kind, nothing planned before."""
    found = candidates(now=now, until=now + horizon, skip_planned=False)
    return sorted((p for p in found if p.kind == kind), key=lambda p: (p.due_at, p.person_id))


def program_rules(program, **fields) -> NudgeRules:
    return NudgeRules.objects.create(organization=program.organization, program=program, **fields)


# The weekly digest --------------------------------------------------------------------------


def test_the_digest_goes_to_facilitators_and_admins_on_friday_at_13_and_never_to_participants(
    ann, bob, admin_user, facilitator, program
):
    digests = planned(local(2026, 3, 26, 12, 0), "digest")
    assert {d.person_id for d in digests} == {admin_user.pk, facilitator.pk}
    for digest in digests:
        assert digest.due_at == local(2026, 3, 27, 13, 0)
        assert digest.week == 4
        assert digest.stale_at == digest.due_at + dt.timedelta(days=1)


def test_staff_who_turned_messages_off_get_no_digest_and_staff_abroad_get_it_at_their_13_00(
    admin_user, facilitator, program
):
    Preference.objects.create(person=facilitator, enabled=False)
    Preference.objects.create(person=admin_user, time_zone="America/New_York")
    [digest] = planned(local(2026, 3, 26, 12, 0), "digest", horizon=dt.timedelta(hours=48))
    assert digest.person_id == admin_user.pk
    assert digest.due_at == dt.datetime(2026, 3, 27, 13, 0, tzinfo=NEW_YORK)  # 17:00 UTC


def test_a_digest_day_off_the_working_days_waits_for_the_next_working_morning(admin_user, program):
    program_rules(program, digest_weekday=6, digest_time=dt.time(10, 0))  # Saturday
    [digest] = planned(local(2026, 3, 28, 9, 0), "digest", horizon=dt.timedelta(hours=48))
    assert digest.week == 4
    assert digest.due_at == local(2026, 3, 30, 7, 0)  # Monday, the rules' first hour, CEST


def test_a_digest_time_before_the_week_opens_on_its_day_is_the_next_weeks_day(admin_user, program):
    # Monday 07:00 comes before the week's opening at 07:30: week 4's digest is on 30 March.
    program_rules(program, digest_weekday=1, digest_time=dt.time(7, 0))
    [digest] = planned(local(2026, 3, 29, 20, 0), "digest")
    assert (digest.week, digest.due_at) == (4, local(2026, 3, 30, 7, 0))
    assert digest.due_at.astimezone(UTC).hour == 5  # summer time since the night before


def test_digests_turned_off_in_the_rules_or_past_the_last_published_week_are_not_planned(
    admin_user, program
):
    assert planned(local(2026, 3, 26, 12, 0), "digest")
    rules = program_rules(program, digests=False)
    assert planned(local(2026, 3, 26, 12, 0), "digest") == []
    rules.delete()
    program.units.filter(number__gte=4).update(published_at=None)
    assert planned(local(2026, 3, 26, 12, 0), "digest") == []


# Reminders: the slots and the cap -----------------------------------------------------------


def test_reminders_come_every_other_day_from_wednesday_up_to_the_cap(ann, program):
    week = dt.timedelta(days=7)
    moments = [r.due_at for r in planned(local(2026, 3, 23, 8, 0), "reminder", horizon=week)]
    assert moments == [local(2026, 3, 25, 12, 0), local(2026, 3, 27, 12, 0)]
    NudgeRules.objects.create(organization=program.organization, max_reminders=1)
    moments = [r.due_at for r in planned(local(2026, 3, 23, 8, 0), "reminder", horizon=week)]
    assert moments == [local(2026, 3, 25, 12, 0)]


def test_a_reminder_that_would_fall_in_the_last_day_before_the_next_week_is_not_planned(
    ann, program
):
    # A third slot on Sunday waits for Monday 07:00, within a day of week 5: it is left out.
    program_rules(program, max_reminders=3)
    week = dt.timedelta(days=7)
    found = planned(local(2026, 3, 23, 8, 0), "reminder", horizon=week)
    assert [(r.slot, r.due_at) for r in found] == [
        (0, local(2026, 3, 25, 12, 0)),
        (1, local(2026, 3, 27, 12, 0)),
    ]


def test_no_reminders_with_a_cap_of_zero_and_none_for_who_answered_this_week(ann, bob, program):
    week = dt.timedelta(days=7)
    unit = program.units.get(number=4)
    Response.objects.create(
        enrollment=bob.enrollments.get(),
        activity=unit.activities.get(kind="task"),
        key=uuid.uuid4(),
    )
    found = planned(local(2026, 3, 25, 8, 0), "reminder", horizon=week)
    assert {r.person_id for r in found} == {ann.pk}
    program_rules(program, max_reminders=0)
    assert planned(local(2026, 3, 25, 8, 0), "reminder", horizon=week) == []


def test_a_person_who_turned_reminders_off_gets_the_release_but_no_reminder(ann, bob, program):
    Preference.objects.create(person=ann, reminders=False)
    now = local(2026, 3, 23, 7, 0)
    week = dt.timedelta(days=7)
    assert {r.person_id for r in planned(now, "release")} == {ann.pk, bob.pk}
    assert {r.person_id for r in planned(now, "reminder", horizon=week)} == {bob.pk}


# Working hours -------------------------------------------------------------------------------


def test_a_window_ending_at_midnight_ends_at_local_midnight_on_the_night_summer_time_starts():
    rules = NudgeRules(working_days="1234567", day_ends=dt.time(0, 0))
    last = dt.datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)  # 23:59:59 CEST
    assert next_allowed(last, rules, OSLO) == last
    midnight = dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST
    assert next_allowed(midnight, rules, OSLO) == local(2026, 3, 30, 7, 0)


def test_the_first_and_last_second_of_the_window_are_inside_it():
    rules = NudgeRules()
    assert next_allowed(local(2026, 3, 24, 7, 0), rules, OSLO) == local(2026, 3, 24, 7, 0)
    end = local(2026, 3, 24, 20, 0)
    assert next_allowed(end - SECOND, rules, OSLO) == end - SECOND
    assert next_allowed(end, rules, OSLO) == local(2026, 3, 25, 7, 0)


def test_with_saturdays_only_a_message_on_sunday_waits_almost_a_week():
    rules = NudgeRules(working_days="6", day_starts=dt.time(9, 0))
    assert next_allowed(local(2026, 3, 22, 10, 0), rules, OSLO) == local(2026, 3, 28, 9, 0)


# A person's choices and their waiting messages -----------------------------------------------


def waiting(program, person, *kinds: str) -> dict[str, Nudge]:
    """One waiting message of each kind for `person`."""
    now = local(2026, 3, 24, 9, 0)
    return {
        kind: Nudge.objects.create(
            kind=kind,
            key=f"{kind}:test:{person.pk}",
            person=person,
            program=program,
            due_at=now,
            stale_at=now + dt.timedelta(days=1),
            next_attempt_at=now,
        )  # fmt: skip
        for kind in kinds
    }


def states(rows: dict[str, Nudge]) -> dict[str, str | None]:
    """Each row's state, or None when it is gone."""
    found = {n.pk: n for n in Nudge.objects.filter(pk__in=[n.pk for n in rows.values()])}
    return {kind: (found[n.pk].state if n.pk in found else None) for kind, n in rows.items()}


KINDS = ["release", "reminder", "feedback", "seminar", "digest"]


def test_turning_reminders_off_skips_the_waiting_reminders_only(ann, program):
    rows = waiting(program, ann, *KINDS)
    services.preference_update(person=ann, reminders=False)
    assert states(rows) == {
        "release": "pending", "reminder": "skipped", "feedback": "pending",
        "seminar": "pending", "digest": "pending",
    }  # fmt: skip
    assert Nudge.objects.get(pk=rows["reminder"].pk).error == "reminders_off"


def test_unsubscribing_skips_every_waiting_message_and_leaves_the_sent_as_they_were(ann, program):
    rows = waiting(program, ann, *KINDS)
    Nudge.objects.filter(pk=rows["release"].pk).update(state="sent")
    services.unsubscribe(person=ann)
    assert states(rows) == {"release": "sent"} | dict.fromkeys(KINDS[1:], "skipped")
    assert not Preference.objects.get(person=ann).enabled


def test_a_new_time_zone_drops_what_planning_makes_again_and_keeps_the_feedback(ann, program):
    rows = waiting(program, ann, *KINDS)
    services.preference_update(person=ann, time_zone="Europe/London")
    assert states(rows) == dict.fromkeys(KINDS, None) | {"feedback": "pending"}


def test_saving_the_same_times_again_drops_nothing(ann, program):
    services.preference_update(person=ann, time_zone="Europe/London", reminder_time=None)
    rows = waiting(program, ann, *KINDS)
    services.preference_update(person=ann, time_zone="Europe/London", reminder_time=None)
    assert states(rows) == dict.fromkeys(KINDS, "pending")


def test_another_persons_choices_leave_ones_messages_alone(ann, bob, program):
    rows = waiting(program, ann, *KINDS)
    services.unsubscribe(person=bob)
    assert states(rows) == dict.fromkeys(KINDS, "pending")


# Phones and rules ------------------------------------------------------------------------------


ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc"


def test_a_phone_subscribed_again_by_someone_else_becomes_theirs_and_turns_their_push_on(ann, bob):
    Preference.objects.create(person=bob, push=False)
    services.push_subscription_save(person=ann, endpoint=ENDPOINT, p256dh="k1", auth="a1")
    services.push_subscription_save(
        person=bob, endpoint=ENDPOINT, p256dh="k2", auth="a2", user_agent="x" * 400
    )
    [phone] = PushSubscription.objects.all()
    assert (phone.person, phone.p256dh, phone.auth, len(phone.user_agent)) == (bob, "k2", "a2", 300)
    assert Preference.objects.get(person=bob).push


def test_a_person_removes_only_their_own_phone(ann, bob):
    services.push_subscription_save(person=ann, endpoint=ENDPOINT, p256dh="k", auth="a")
    services.push_subscription_delete(person=bob, endpoint=ENDPOINT)
    assert PushSubscription.objects.filter(person=ann).exists()
    services.push_subscription_delete(person=ann, endpoint=ENDPOINT)
    assert not PushSubscription.objects.exists()


def test_a_program_that_drops_its_own_rules_follows_its_organizations_again(program):
    organization = services.rules_save(
        rules=NudgeRules(organization=program.organization), max_reminders=1
    )
    own = services.rules_save(
        rules=NudgeRules(organization=program.organization, program=program), max_reminders=3
    )
    assert rules_for(program).pk == own.pk and rules_for(program).max_reminders == 3
    services.rules_inherit(program=program)
    assert rules_for(program).pk == organization.pk and rules_for(program).max_reminders == 1


# Claims, leases and backoff ----------------------------------------------------------------


@pytest.fixture
def due_now(ann, program):
    """Four release messages due, oldest first: due 4, 3, 2 and 1 minutes ago."""
    now = local(2026, 3, 24, 9, 0)
    return [
        Nudge.objects.create(
            kind="release",
            key=f"release:lease:{n}",
            person=ann,
            program=program,
            due_at=now,
            stale_at=now + dt.timedelta(days=1),
            next_attempt_at=now - dt.timedelta(minutes=4 - n),
        )  # fmt: skip
        for n in range(4)
    ], now


def held(token: str) -> list[int]:
    return sorted(Nudge.objects.filter(claimed_by=token).values_list("pk", flat=True))


def test_a_claim_takes_the_oldest_due_rows_first_up_to_its_limit(due_now):
    rows, now = due_now
    first = dispatch.claim(limit=2, now=now, worker="one")
    second = dispatch.claim(limit=2, now=now, worker="two")
    assert held(first) == [rows[0].pk, rows[1].pk]
    assert held(second) == [rows[2].pk, rows[3].pk]
    assert dispatch.claim(limit=2, now=now, worker="three") is None


def test_a_claimed_row_is_due_to_no_one_until_its_lease_ends_and_then_to_the_next_claim(
    due_now, settings
):
    settings.NUDGES_LEASE_SECONDS = 90
    rows, now = due_now
    first = dispatch.claim(limit=10, now=now, worker="dies")
    lease_end = now + dt.timedelta(seconds=90)
    assert dispatch.due_count(now=lease_end - SECOND, limit=10) == 0
    assert dispatch.claim(limit=10, now=lease_end - SECOND, worker="early") is None
    assert dispatch.due_count(now=lease_end, limit=10) == 4
    second = dispatch.claim(limit=10, now=lease_end, worker="next")
    assert held(second) == sorted(r.pk for r in rows) and held(first) == []
    assert sum(dispatch.deliver(first).values()) == 0  # the dead claim sends nothing now


def test_a_renewed_lease_keeps_the_rows_past_the_first_lease(due_now, settings):
    settings.NUDGES_LEASE_SECONDS = 90
    _, now = due_now
    token = dispatch.claim(limit=10, now=now, worker="slow")
    until = dispatch.claim_renew(token=token, now=now + dt.timedelta(seconds=60))
    assert until == now + dt.timedelta(seconds=150)
    assert dispatch.claim(limit=10, now=now + dt.timedelta(seconds=120), worker="other") is None


def test_a_row_past_its_stale_time_is_dropped_not_claimed(due_now):
    rows, now = due_now
    Nudge.objects.filter(pk=rows[0].pk).update(stale_at=now)
    assert dispatch.drop_stale(now=now) == 1
    dropped = Nudge.objects.get(pk=rows[0].pk)
    assert (dropped.state, dropped.error) == ("dropped", "stale")
    token = dispatch.claim(limit=10, now=now, worker="one")
    assert rows[0].pk not in held(token)


def test_backoff_doubles_from_a_minute_and_stops_at_an_hour():
    minutes = [dispatch.backoff(n).total_seconds() / 60 for n in range(0, 10)]
    assert minutes == [1, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_person_enrolled_in_two_programs_gets_one_release_for_each(ann, org, program):
    other = make_program(org, slug="other", weeks=6)
    enroll(ann, other)
    make_person("staff-only@fjordvik.example", org=org, role="facilitator")
    releases = planned(local(2026, 3, 23, 7, 0), "release")
    assert sorted((r.person_id, r.program_id) for r in releases) == sorted(
        [(ann.pk, program.pk), (ann.pk, other.pk)]
    )
    assert {r.due_at for r in releases} == {local(2026, 3, 23, 7, 30)}
