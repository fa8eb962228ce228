"""Sending: respectful timing, catch-up, failures and retries, headers, each kind's content."""

import datetime as dt
import uuid

from aiosmtpd.controller import Controller
from django.test import Client

from pocketmentor.accounts.models import User
from pocketmentor.conftest import answer, enroll, make_program
from pocketmentor.learning.services import feedback_give, response_record
from pocketmentor.nudges import dispatch
from pocketmentor.nudges.models import Delivery, Nudge, NudgeRules, Preference
from pocketmentor.nudges.preferences import preference_token
from pocketmentor.nudges.tests.conftest import at, local, parts
from pocketmentor.programs.models import Seminar


def near(moment: dt.datetime, expected: dt.datetime) -> bool:
    """Equal but for the second or so the clock ran on during the test."""
    return abs(moment - expected) < dt.timedelta(seconds=2)


def rules(program, **fields) -> NudgeRules:
    return NudgeRules.objects.create(organization=program.organization, program=program, **fields)


def test_outside_working_hours_a_message_waits_for_the_next_allowed_time(
    ann, program, inbox, worker
):
    rules(program, day_starts=dt.time(8, 0), day_ends=dt.time(16, 0))
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    assert inbox.messages == []
    with at(local(2026, 3, 23, 8, 0, 5)):
        worker.run_until_idle()
    assert [m["Subject"] for m in inbox.messages] == ["Uke 4 er åpen: Week 4 challenge"]


def test_feedback_given_on_friday_evening_arrives_on_monday_morning(
    ann, facilitator, program, inbox, worker, django_capture_on_commit_callbacks
):
    reflection = program.units.get(number=4).activities.get(kind="reflection")
    with at(local(2026, 3, 27, 18, 0)):
        response = answer(
            ann.enrollments.get(), reflection, text="Tried it", audiences=["facilitators"]
        )
    with at(local(2026, 3, 27, 21, 0)), django_capture_on_commit_callbacks(execute=True):
        feedback_give(response=response, author=facilitator, text="Well done")
    nudge = Nudge.objects.get(kind="feedback")
    assert nudge.due_at == local(2026, 3, 30, 7, 0)  # Monday 07:00, summer time by then
    with at(local(2026, 3, 28, 12, 0)):
        worker.run_until_idle()
    assert not inbox.to("ann@fjordvik.example")
    with at(local(2026, 3, 30, 7, 0, 5)):
        worker.run_until_idle()
    [message] = [m for m in inbox.messages if "svart" in m["Subject"]]
    assert message["Subject"] == "Coach har svart på refleksjonen din"
    assert "uke 4" in parts(message)[0]


def test_two_messages_keep_the_minimum_gap(ann, facilitator, program, inbox, worker):
    rules(program, min_gap_hours=6)
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()  # the release
    reflection = program.units.get(number=4).activities.get(kind="reflection")
    with at(local(2026, 3, 23, 9, 0)):
        response = answer(ann.enrollments.get(), reflection, text="x", audiences=["facilitators"])
        from pocketmentor.nudges.planning import plan_feedback

        plan_feedback(feedback_give(response=response, author=facilitator, text="Good"))
        worker.run_until_idle()
    assert len(inbox.messages) == 1
    nudge = Nudge.objects.get(kind="feedback")
    assert near(nudge.next_attempt_at, local(2026, 3, 23, 13, 30, 5))
    with at(local(2026, 3, 23, 13, 31)):
        worker.run_until_idle()
    assert [m["Subject"] for m in inbox.messages][-1] == "Coach har svart på refleksjonen din"


def test_after_a_week_of_downtime_the_stale_release_is_dropped_and_the_current_sent(
    ann, program, inbox, worker
):
    with at(local(2026, 3, 22, 20, 0)):
        worker.run_until_idle()  # plans Monday's release of week 4, then the worker is down
    assert Nudge.objects.get(kind="release").state == "pending"
    with at(local(2026, 3, 31, 9, 0)):
        worker.run_until_idle()
    assert [m["Subject"] for m in inbox.messages] == ["Uke 5 er åpen: Week 5 challenge"]
    week4 = Nudge.objects.get(kind="release", unit__number=4)
    assert (week4.state, week4.error) == ("dropped", "stale")


def test_a_refusing_server_delays_the_message_with_backoff_then_it_goes_once(
    ann, program, inbox, worker
):
    inbox.replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    nudge = Nudge.objects.get(kind="release")
    assert (nudge.state, nudge.attempts) == ("pending", 1)
    assert nudge.error == "SMTP 451 4.3.0 Try again later"
    assert near(nudge.next_attempt_at, local(2026, 3, 23, 7, 31, 5))
    with at(local(2026, 3, 23, 7, 31, 6)):
        worker.run_until_idle()  # second refusal: two minutes now
    nudge.refresh_from_db()
    assert nudge.attempts == 2 and near(nudge.next_attempt_at, local(2026, 3, 23, 7, 33, 6))
    with at(local(2026, 3, 23, 7, 32)):
        worker.run_until_idle()
    assert inbox.messages == []
    with at(local(2026, 3, 23, 7, 33, 10)):
        worker.run_until_idle()
        worker.run_until_idle()
    assert len(inbox.messages) == 1 and len(inbox.attempts) == 3
    assert {m["Message-ID"] for m in inbox.attempts} == {inbox.messages[0]["Message-ID"]}
    nudge.refresh_from_db()
    assert (nudge.state, nudge.error) == ("sent", "")
    # The failed attempts are kept with their reason; the row records the send.
    assert (
        list(Delivery.objects.values_list("ok", "error"))
        == [(False, "SMTP 451 4.3.0 Try again later")] * 2
    )
    assert nudge.sent_at and nudge.channels == "email"


def test_a_server_that_is_down_loses_nothing(ann, bob, program, inbox, worker, settings):
    from pocketmentor.bench.load import free_port

    settings.EMAIL_PORT = free_port()  # nobody listens there
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    assert set(Nudge.objects.values_list("state", "attempts")) == {("pending", 1)}
    assert "ConnectionRefusedError" in Delivery.objects.first().error
    controller = Controller(inbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        with at(local(2026, 3, 23, 7, 32)):
            worker.run_until_idle()
    finally:
        controller.stop()
    assert sorted(m["To"] for m in inbox.messages) == [
        "ann@fjordvik.example",
        "bob@fjordvik.example",
    ]


def test_a_batch_goes_over_one_smtp_connection(ann, bob, program, inbox, worker):
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    assert len(inbox.messages) == 2
    assert len(inbox.connections) == 1


def test_a_connection_the_server_closed_mid_batch_is_opened_again_and_nothing_is_lost(
    ann, bob, program, inbox, worker
):
    inbox.drop_after = 1  # the server closes the connection after the first message
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    assert sorted(m["To"] for m in inbox.messages) == [
        "ann@fjordvik.example",
        "bob@fjordvik.example",
    ]
    assert len(inbox.connections) == 2
    assert set(Nudge.objects.values_list("state", "attempts")) == {("sent", 0)}
    assert not Delivery.objects.exists()


def test_a_refused_recipient_fails_for_good_with_the_reason(ann, program, inbox, worker):
    inbox.replies = ["550 5.1.1 No such mailbox"]
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    nudge = Nudge.objects.get(kind="release")
    assert (nudge.state, nudge.error) == ("failed", "SMTP 550 5.1.1 No such mailbox")


def test_an_unsubscribe_is_honoured_at_once_even_for_a_claimed_message(ann, bob, program, inbox):
    from pocketmentor.nudges.planning import plan

    with at(local(2026, 3, 23, 7, 30, 5)):
        plan()
        token = dispatch.claim(limit=10)  # the batch is read; now Ann unsubscribes
        response = Client().post(
            f"/nudges/unsubscribe/{preference_token(ann)}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        dispatch.deliver(token)
    assert [m["To"] for m in inbox.messages] == ["bob@fjordvik.example"]
    assert Nudge.objects.get(person=ann).error == "unsubscribed"
    assert not Preference.objects.get(person=ann).enabled


def test_the_email_carries_unsubscribe_headers_and_a_stable_message_id(ann, program, inbox, worker):
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    [message] = inbox.messages
    token = preference_token(ann)
    assert (
        message["List-Unsubscribe"].strip()
        == f"<http://127.0.0.1:8000/nudges/unsubscribe/{token}/>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    nudge = Nudge.objects.get()
    assert message["Message-ID"] == nudge.message_id
    assert message["Message-ID"].startswith("<nudge.release.")
    text, html = parts(message)
    assert f"/nudges/preferences/{token}/" in text and f"/nudges/preferences/{token}/" in html


def test_the_mailto_unsubscribe_is_offered_when_configured(ann, program, inbox, worker, settings):
    settings.NUDGES_UNSUBSCRIBE_EMAIL = "unsubscribe@fjordvik.example"
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    assert (
        inbox.messages[0]["List-Unsubscribe"]
        .strip()
        .startswith(f"<mailto:unsubscribe@fjordvik.example?subject=unsubscribe%20{ann.pk}>, <http")
    )


def test_seminar_notice_goes_to_its_groups_a_few_days_before_with_the_calendar_file(
    ann, bob, program, groups, inbox, worker
):
    rules(program, releases=False)  # else week 5's release on Monday morning keeps the gap
    seminar = Seminar.objects.create(
        program=program, title="Samling 2", place="Rådhuset",
        starts_at=local(2026, 4, 2, 9, 0), ends_at=local(2026, 4, 2, 15, 0),
    )  # fmt: skip
    seminar.groups.set([groups[0]])
    with at(local(2026, 3, 30, 8, 0)):
        worker.run_until_idle()
    notices = [m for m in inbox.messages if "Samling 2" in m["Subject"]]
    assert notices == []
    with at(local(2026, 3, 30, 9, 0, 5)):  # three days before, at the seminar's hour
        worker.run_until_idle()
    [notice] = [m for m in inbox.messages if "Samling 2" in m["Subject"]]
    assert notice["To"] == "ann@fjordvik.example"
    [calendar] = [part for part in notice.iter_attachments()]
    assert calendar.get_content_type() == "text/calendar"
    assert "SUMMARY:Samling 2" in calendar.get_content()
    assert "Rådhuset" in parts(notice)[0]


def record(enrollment, activity, **answer):
    response_record(enrollment=enrollment, activity=activity, key=uuid.uuid4(), **answer)


def test_the_weekly_digest_tells_facilitators_and_admins_the_engagement_and_what_was_shared(
    ann, bob, admin_user, facilitator, program, inbox, worker
):
    reflection = program.units.get(number=4).activities.get(kind="reflection")
    quiz = program.units.get(number=3).activities.get(kind="quiz")
    # Through the service, as a phone answers: the dashboard's figures count these.
    with at(local(2026, 3, 18, 10, 0)):  # week 3: both active
        record(ann.enrollments.get(), quiz, option_ids=[quiz.options.first().pk])
        record(bob.enrollments.get(), quiz, option_ids=[quiz.options.first().pk])
    with at(local(2026, 3, 24, 10, 0)):  # week 4: Ann only, and she shares
        record(ann.enrollments.get(), reflection, text="Asked first", audiences=["facilitators"])
    with at(local(2026, 3, 27, 13, 0, 5)):
        worker.run_until_idle()
    digests = [m for m in inbox.messages if "aktive" in m["Subject"]]
    assert sorted(m["To"] for m in digests) == ["coach@partner.example", "hr@fjordvik.example"]
    message = next(m for m in digests if m["To"] == "coach@partner.example")
    assert message["Subject"] == "Uke 4 i Leading: 50 % aktive"
    text, html = parts(message)
    assert "1 av 2 deltakere" in text and "Forrige uke: 100 %" in text
    assert "1 refleksjon ble delt" in text and "Ann, uke 4" in text
    assert "Asked first" not in text and "Asked first" not in html  # the text stays in the app


def test_a_program_finished_after_planning_sends_nothing_more(ann, program, inbox, worker):
    with at(local(2026, 3, 23, 7, 0)):
        worker.run_until_idle()
    program.state = "finished"
    program.save()
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    assert inbox.messages == []
    assert Nudge.objects.get().error == "not_live"


def test_a_message_that_cannot_be_built_fails_alone_and_the_batch_goes_on(
    ann, bob, facilitator, program, inbox, worker, django_capture_on_commit_callbacks
):
    # A name from before names were checked at input, with a header hidden in it.
    User.objects.filter(pk=facilitator.pk).update(name="Evil\r\nBcc: eve@other.example")
    facilitator.refresh_from_db()
    reflection = program.units.get(number=3).activities.get(kind="reflection")
    with at(local(2026, 3, 23, 7, 0)):
        response = answer(ann.enrollments.get(), reflection, text="x", audiences=["facilitators"])
        with django_capture_on_commit_callbacks(execute=True):
            feedback_give(response=response, author=facilitator, text="Good")
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    feedback = Nudge.objects.get(kind="feedback")
    assert feedback.state == Nudge.State.FAILED
    assert "cannot be built" in feedback.error and not feedback.claimed_by
    releases = Nudge.objects.filter(kind="release", unit__number=4)
    assert {n.state for n in releases} == {Nudge.State.SENT}
    assert {m["To"] for m in inbox.messages} >= {"bob@fjordvik.example"}
    assert all("Bcc" not in str(m) and "eve@" not in str(m) for m in inbox.messages)


def test_a_recipient_address_with_a_line_break_is_refused_alone(ann, bob, program, inbox, worker):
    User.objects.filter(pk=ann.pk).update(email="ann@fjordvik.example\r\nBcc: eve@other.example")
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    mine = Nudge.objects.get(kind="release", unit__number=4, person=ann)
    assert mine.state == Nudge.State.FAILED and "cannot be built" in mine.error
    assert Delivery.objects.filter(nudge=mine, ok=False).exists()
    theirs = Nudge.objects.get(kind="release", unit__number=4, person=bob)
    assert theirs.state == Nudge.State.SENT
    assert [m["To"] for m in inbox.messages] == ["bob@fjordvik.example"]


def test_staff_of_two_live_programs_get_one_digest_a_week_covering_both(
    ann, bob, admin_user, facilitator, program, inbox, worker
):
    second = make_program(program.organization, slug="onboarding", weeks=6)
    second.title = "Onboarding"
    second.save()
    enroll(bob, second)
    quiz = second.units.get(number=4).activities.get(kind="quiz")
    with at(local(2026, 3, 24, 10, 0)):  # week 4: Bob is active in the second program
        record(bob.enrollments.get(program=second), quiz, option_ids=[quiz.options.first().pk])
    with at(local(2026, 3, 27, 13, 0, 5)):
        worker.run_until_idle()
    digests = [m for m in inbox.messages if "aktive" in m["Subject"]]
    assert sorted(m["To"] for m in digests) == ["coach@partner.example", "hr@fjordvik.example"]
    message = next(m for m in digests if m["To"] == "hr@fjordvik.example")
    assert message["Subject"] == "Denne uka i Leading: 0 % aktive, Onboarding: 100 % aktive"
    text, html = parts(message)
    assert "Uke 4 i Leading så langt: 0 %" in text and "Uke 4 i Onboarding så langt: 100 %" in text
    assert "Onboarding" in html
    assert Nudge.objects.filter(kind="digest").count() == 2  # one each, not one per program
    with at(local(2026, 3, 27, 18, 0)):  # later that day: nothing waits for the gap
        worker.run_until_idle()
    assert not Nudge.objects.filter(kind="digest").exclude(state="sent").exists()
