import threading
import uuid

import pytest
from django.db import connection, connections

from pocketmentor.learning.models import Response
from pocketmentor.learning.services import (
    AnswerFinal,
    EditConflict,
    KeyConflict,
    response_record,
)


@pytest.fixture
def enrollment(ann):
    return ann.enrollments.get()


def activity(enrollment, kind, week=1):
    return enrollment.program.units.get(number=week).activities.get(kind=kind)


def test_replaying_a_key_stores_one_response(enrollment):
    reflection, key = activity(enrollment, "reflection"), uuid.uuid4()
    first, changed = response_record(
        enrollment=enrollment, activity=reflection, key=key, text="Listened more."
    )
    again, changed_again = response_record(
        enrollment=enrollment, activity=reflection, key=key, text="Listened more."
    )
    assert changed and not changed_again
    assert first.pk == again.pk
    assert Response.objects.filter(enrollment=enrollment).count() == 1


def test_a_second_quiz_answer_is_refused_and_the_first_stands(enrollment):
    quiz = activity(enrollment, "quiz")
    right, wrong = quiz.options.order_by("position")
    key = uuid.uuid4()
    response_record(enrollment=enrollment, activity=quiz, key=key, option_ids=[wrong.pk])
    with pytest.raises(AnswerFinal):
        response_record(
            enrollment=enrollment, activity=quiz, key=uuid.uuid4(), option_ids=[right.pk]
        )
    _, changed = response_record(  # the same answer replayed is no second answer
        enrollment=enrollment, activity=quiz, key=key, option_ids=[wrong.pk]
    )
    assert not changed
    assert list(Response.objects.get(activity=quiz).choices.all()) == [wrong]


def test_a_second_poll_answer_is_refused_and_the_first_stands(enrollment):
    poll = activity(enrollment, "poll")
    response_record(enrollment=enrollment, activity=poll, key=uuid.uuid4(), value=2)
    with pytest.raises(AnswerFinal):
        response_record(enrollment=enrollment, activity=poll, key=uuid.uuid4(), value=5)
    assert Response.objects.get(activity=poll).value == 2


def test_an_edit_from_the_current_version_is_saved_and_raises_it(enrollment):
    reflection = activity(enrollment, "reflection")
    first, _ = response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="First", version=0
    )
    second, changed = response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="Second",
        version=first.version,
    )  # fmt: skip
    assert changed
    assert (second.text, second.version) == ("Second", first.version + 1)


def test_an_edit_from_a_stale_version_changes_nothing(enrollment):
    reflection = activity(enrollment, "reflection")
    first, _ = response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="First", version=0
    )
    response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="From the laptop",
        version=1,
    )  # fmt: skip
    with pytest.raises(EditConflict) as conflict:
        response_record(
            enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="From the phone",
            version=1,
        )  # fmt: skip
    assert conflict.value.response.text == "From the laptop"
    stored = Response.objects.get(activity=reflection)
    assert (stored.text, stored.version) == ("From the laptop", 2)


def test_a_first_answer_written_twice_before_either_is_stored_is_a_conflict(enrollment):
    reflection = activity(enrollment, "reflection")
    response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="On the phone",
        version=0,
    )  # fmt: skip
    with pytest.raises(EditConflict):
        response_record(
            enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="On the laptop",
            version=0,
        )  # fmt: skip
    assert Response.objects.get(activity=reflection).text == "On the phone"


def test_a_replayed_key_succeeds_even_after_a_later_edit(enrollment):
    reflection = activity(enrollment, "reflection")
    key = uuid.uuid4()
    response_record(enrollment=enrollment, activity=reflection, key=key, text="First", version=0)
    response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="Second", version=1
    )
    response, changed = response_record(
        enrollment=enrollment, activity=reflection, key=key, text="First", version=0
    )
    assert not changed
    assert response.text == "Second"


def test_a_reflection_can_be_rewritten_and_shared(enrollment):
    reflection = activity(enrollment, "reflection")
    response_record(enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="First")
    response, changed = response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="Second",
        audiences=["group"],
    )  # fmt: skip
    response.refresh_from_db()
    assert changed
    assert (response.text, response.audiences) == ("Second", ["group"])
    assert Response.objects.filter(enrollment=enrollment).count() == 1


def test_a_key_used_by_someone_else_is_refused(enrollment, bob):
    key = uuid.uuid4()
    response_record(enrollment=enrollment, activity=activity(enrollment, "task"), key=key)
    bobs = bob.enrollments.get()
    with pytest.raises(KeyConflict):
        response_record(enrollment=bobs, activity=activity(bobs, "task"), key=key)
    assert not Response.objects.filter(enrollment=bobs).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_five_concurrent_edits_from_one_version_save_one_and_refuse_four(ann):
    enrollment = ann.enrollments.get()
    reflection = activity(enrollment, "reflection")
    response_record(enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="Start")
    start, outcomes = threading.Barrier(5), []

    def edit(n: int) -> None:
        try:
            start.wait(10)
            response_record(
                enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text=f"Edit {n}",
                version=1,
            )  # fmt: skip
            outcomes.append("saved")
        except EditConflict as conflict:
            outcomes.append(f"conflict with {conflict.response.text}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    stored = Response.objects.get(activity=reflection)
    assert sorted(outcomes) == [f"conflict with {stored.text}"] * 4 + ["saved"]
    assert stored.version == 2
