"""A claim's rows go in groups: one statement takes the group's message slots, one records
what the server took. Parallel workers still never send one message twice, and a failure in
the middle of a batch leaves the rest to send, not sent and not lost."""

import datetime as dt
import email
import email.policy
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from pocketmentor.accounts.models import User
from pocketmentor.conftest import enroll, make_person
from pocketmentor.nudges import channels, dispatch
from pocketmentor.nudges.channels import Prepared
from pocketmentor.nudges.messages import Renderer
from pocketmentor.nudges.models import Nudge, Preference
from pocketmentor.nudges.planning import plan
from pocketmentor.nudges.tests.conftest import at, local, on_postgresql, parts

RELEASE = local(2026, 3, 23, 7, 30, 5)  # week 4 opens


def participants(org, program, count: int) -> list:
    people = [
        make_person(f"g{n}@fjordvik.example", org=org, role="participant") for n in range(count)
    ]
    for person in people:
        enroll(person, program)
    return people


def test_a_group_takes_its_slots_in_one_statement_and_records_them_sent_in_one(
    org, program, inbox, monkeypatch
):
    monkeypatch.setattr(dispatch, "RECORD_WITHIN", 60)  # however slow this machine is
    people = participants(org, program, 2 * dispatch.SEND_GROUP)
    with at(RELEASE):
        assert plan() == len(people)
        token = dispatch.claim(limit=len(people))
        with CaptureQueriesContext(connection) as queries:
            counts = dispatch.deliver(token)
    assert counts == {"sent": len(people)}
    statements = [q["sql"] for q in queries]
    slots = [s for s in statements if s.startswith('UPDATE "nudges_preference"')]
    marks = [s for s in statements if s.startswith('UPDATE "nudges_nudge"')]
    assert len(slots) == 2 and len(marks) == 2  # two groups, not a statement per message
    assert len(statements) < 15
    assert sorted(m["To"] for m in inbox.messages) == sorted(p.email for p in people)
    sent = Nudge.objects.filter(state="sent", claimed_by="", sent_at__isnull=False)
    assert sent.count() == len(people)
    assert Preference.objects.filter(last_message_at__isnull=False).count() == len(people)


def test_a_second_message_to_one_person_in_a_group_still_keeps_the_gap(ann, org, program, inbox):
    """Two messages to one person in one group: the first takes the slot, the second waits."""
    with at(RELEASE):
        plan()
        week = program.units.get(number=4)
        now = dispatch.timezone.now()
        Nudge.objects.create(
            kind="release", key="second:ann", person=ann, program=program, unit=week,
            due_at=now, stale_at=now + dt.timedelta(days=1), next_attempt_at=now,
        )  # fmt: skip
        token = dispatch.claim(limit=10)
        counts = dispatch.deliver(token)
    assert counts == {"sent": 1, "pending": 1}
    assert [m["To"] for m in inbox.messages] == ["ann@fjordvik.example"]
    waiting = Nudge.objects.get(state="pending")
    assert waiting.next_attempt_at >= RELEASE + dt.timedelta(hours=12)


def test_a_person_who_turned_messages_off_is_left_out_of_the_groups_statement(
    ann, bob, program, inbox
):
    with at(RELEASE):
        plan()
        Preference.objects.filter(person=bob).update(enabled=False)
        counts = dispatch.deliver(dispatch.claim(limit=10))
    assert counts == {"sent": 1, "skipped": 1}
    assert [m["To"] for m in inbox.messages] == ["ann@fjordvik.example"]
    assert Nudge.objects.get(person=bob).error == "unsubscribed"


def test_a_server_gone_in_the_middle_of_a_batch_leaves_the_rest_due_and_sends_none_twice(
    org, program, inbox, worker
):
    people = participants(org, program, 12)
    inbox.gone_after = 5  # takes five messages, then stops listening
    with at(RELEASE):
        plan()
        counts = dispatch.deliver(dispatch.claim(limit=len(people)))
    assert counts == {"sent": 5, "pending": 7}
    assert len(inbox.messages) == 5
    rest = Nudge.objects.filter(state="pending")
    assert rest.count() == 7 and not rest.filter(claimed_by__gt="").exists()
    assert all(n.attempts == 1 and n.next_attempt_at > RELEASE for n in rest)
    inbox.restart()
    with at(RELEASE + dt.timedelta(minutes=2)):  # after the first retry's wait
        worker.run_until_idle()
    assert sorted(m["To"] for m in inbox.messages) == sorted(p.email for p in people)
    assert set(Nudge.objects.values_list("state", flat=True)) == {"sent"}


def a_worker_takes_its_groups_slots_and_dies() -> None:
    """Claim what is due and take the group's message slots, as a worker does right before
    the group goes, then nothing more, as a worker killed at that moment."""
    token = dispatch.claim(limit=dispatch.SEND_GROUP)
    rows = list(Nudge.objects.filter(claimed_by=token).order_by("next_attempt_at", "pk"))
    _ready, taken = dispatch._Batch(rows, token).prepare_group(rows, dispatch.timezone.now())
    assert len(taken) == len(rows)


def test_a_group_whose_worker_died_after_taking_its_slots_goes_once_the_lease_ends(
    ann, bob, program, inbox, worker
):
    with at(RELEASE):
        plan()
        a_worker_takes_its_groups_slots_and_dies()
        worker.run_until_idle()
    assert inbox.messages == []  # the lease still holds
    with at(RELEASE + dt.timedelta(seconds=100)):  # the lease (90 s) is over, the gap is not
        worker.run_until_idle()
    assert sorted(m["To"] for m in inbox.messages) == [
        "ann@fjordvik.example",
        "bob@fjordvik.example",
    ]
    assert set(Nudge.objects.values_list("state", flat=True)) == {"sent"}
    slots = Preference.objects.values_list("last_nudge", flat=True)
    assert set(slots) == set(Nudge.objects.values_list("pk", flat=True))


def test_a_slot_a_dead_worker_took_is_its_nudges_alone_so_another_message_keeps_the_gap(
    ann, program, inbox, worker
):
    with at(RELEASE):
        plan()
        a_worker_takes_its_groups_slots_and_dies()
        now = dispatch.timezone.now()
        Nudge.objects.create(
            kind="release", key="second:ann", person=ann, program=program,
            unit=program.units.get(number=4), due_at=now, stale_at=now + dt.timedelta(days=1),
            next_attempt_at=now,
        )  # fmt: skip
    with at(RELEASE + dt.timedelta(seconds=100)):
        worker.run_until_idle()
    assert [m["To"] for m in inbox.messages] == ["ann@fjordvik.example"]
    second = Nudge.objects.get(key="second:ann")
    assert second.state == "pending"
    assert second.next_attempt_at >= RELEASE + dt.timedelta(hours=12)


def test_a_dead_workers_slot_given_back_after_a_failed_attempt_stays_its_nudges(
    ann, program, inbox, worker
):
    inbox.replies = ["451 Try again later"]
    with at(RELEASE):
        plan()
        a_worker_takes_its_groups_slots_and_dies()
    with at(RELEASE + dt.timedelta(seconds=100)):
        worker.run_until_idle()
    assert inbox.messages == [] and Nudge.objects.get().state == "pending"
    with at(RELEASE + dt.timedelta(minutes=4)):  # after the first retry's wait, not the gap
        worker.run_until_idle()
    assert [m["To"] for m in inbox.messages] == ["ann@fjordvik.example"]
    assert Nudge.objects.get().state == "sent"


def test_a_slot_given_back_after_a_failed_attempt_is_the_one_before_it(ann, program, inbox):
    earlier = RELEASE - dt.timedelta(hours=13)
    with at(RELEASE):
        plan()
        Preference.objects.filter(person=ann).update(last_message_at=earlier, last_nudge=None)
        inbox.replies = ["451 Try again later"]
        assert dispatch.deliver(dispatch.claim(limit=10)) == {"pending": 1}
    pref = Preference.objects.get(person=ann)
    assert (pref.last_message_at, pref.last_nudge_id) == (earlier, None)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_in_parallel_on_postgresql_send_each_message_once(org, program, inbox):
    people = participants(org, program, 60)
    tokens: list[list[str]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(mine: list[str]) -> None:
        try:
            start.wait(10)
            while token := dispatch.claim(limit=7):
                mine.append(token)
                dispatch.deliver(token)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    with at(RELEASE):
        plan()
        threads = [threading.Thread(target=work, args=(mine,)) for mine in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not errors
    assert tokens[0] and tokens[1]  # both took part
    assert sorted(m["To"] for m in inbox.messages) == sorted(p.email for p in people)
    assert set(inbox.count().values()) == {1}
    assert Nudge.objects.filter(state="sent").count() == len(people)


def test_an_email_filled_in_from_the_prepared_one_is_the_one_django_builds(
    ann, bob, program, settings
):
    settings.NUDGES_UNSUBSCRIBE_EMAIL = "unsubscribe@fjordvik.example"
    User.objects.filter(pk=bob.pk).update(name="Åse&<b> Berg")  # not ASCII, escaped
    with at(RELEASE):
        plan()
        renderer = Renderer()
        nudges = Nudge.objects.select_related("person", "program__organization", "unit")
        for nudge in nudges.order_by("person__email"):
            message = renderer.render(nudge)
            prepared = Prepared(nudge, message.shared, message.text_values, message.html_values)
            data = prepared.fill(nudge, message)
            assert data is not None and b"pm-" not in data  # every stand-in filled in
            filled = email.message_from_bytes(data, policy=email.policy.default)
            built = email.message_from_bytes(
                channels.email_for(nudge, message).message().as_bytes(linesep="\r\n"),
                policy=email.policy.default,
            )
            names = ["Subject", "From", "To", "Message-ID", "List-Unsubscribe", "MIME-Version"]
            names += ["List-Unsubscribe-Post", "Auto-Submitted"]
            # (Django folds a long header, so its value may start with the fold's space.)
            assert [str(filled[n]) for n in names] == [str(built[n]).strip() for n in names]
            assert filled.get_content_type() == built.get_content_type()
            assert parts(filled) == parts(built)
    assert "Hello Åse&amp;&lt;b&gt;," in parts(filled)[1]  # bob's, the last
    assert "Hello Åse&<b>," in parts(filled)[0]


def test_an_address_that_is_not_plain_is_built_the_usual_way(ann, program):
    with at(RELEASE):
        plan()
        User.objects.filter(pk=ann.pk).update(email="Ann Berg <ann@fjordvik.example>")
        nudge = Nudge.objects.select_related("person", "program__organization", "unit").get()
        message = Renderer().render(nudge)
        prepared = Prepared(nudge, message.shared, message.text_values, message.html_values)
        assert prepared.usable and prepared.fill(nudge, message) is None


def test_a_backend_other_than_smtp_gets_the_email_built_the_usual_way(
    ann, bob, program, mailoutbox
):
    """The console and file backends of a laptop, or the tests' memory: no SMTP to fill in."""
    with at(RELEASE):
        plan()
        counts = dispatch.deliver(dispatch.claim(limit=10))
    assert counts == {"sent": 2}
    assert sorted(m.to[0] for m in mailoutbox) == ["ann@fjordvik.example", "bob@fjordvik.example"]
    assert all("Week 4" in m.subject or "Uke 4" in m.subject for m in mailoutbox)
