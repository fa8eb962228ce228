import uuid

import pytest

from pocketmentor.learning.models import Response
from pocketmentor.learning.services import KeyConflict, response_record


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


def test_a_quiz_answer_is_final(enrollment):
    quiz = activity(enrollment, "quiz")
    right, wrong = quiz.options.order_by("position")
    response_record(enrollment=enrollment, activity=quiz, key=uuid.uuid4(), option_ids=[wrong.pk])
    _, changed = response_record(
        enrollment=enrollment, activity=quiz, key=uuid.uuid4(), option_ids=[right.pk]
    )
    assert not changed
    assert list(Response.objects.get(activity=quiz).choices.all()) == [wrong]


def test_a_reflection_can_be_rewritten_and_shared(enrollment):
    reflection = activity(enrollment, "reflection")
    response_record(enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="First")
    response, changed = response_record(
        enrollment=enrollment, activity=reflection, key=uuid.uuid4(), text="Second",
        visibility=Response.Visibility.GROUP,
    )  # fmt: skip
    response.refresh_from_db()
    assert changed
    assert (response.text, response.visibility) == ("Second", "group")
    assert Response.objects.filter(enrollment=enrollment).count() == 1


def test_a_key_used_by_someone_else_is_refused(enrollment, bob):
    key = uuid.uuid4()
    response_record(enrollment=enrollment, activity=activity(enrollment, "task"), key=key)
    bobs = bob.enrollments.get()
    with pytest.raises(KeyConflict):
        response_record(enrollment=bobs, activity=activity(bobs, "task"), key=key)
    assert not Response.objects.filter(enrollment=bobs).exists()
