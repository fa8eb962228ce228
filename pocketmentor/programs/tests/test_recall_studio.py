"""Key points to recall on the studio's week editor: a quiz used again, or a question."""

import uuid

from pocketmentor.conftest import signed_in
from pocketmentor.learning.models import RecallCard
from pocketmentor.learning.services import response_record
from pocketmentor.programs.models import RecallQuestion

WEEK = "/studio/fjordvik/p/lead/weeks/1/"


def test_an_author_uses_a_quiz_as_recall_and_writes_a_key_point(facilitator, program, ann):
    unit = program.units.get(number=1)
    quiz = unit.activities.get(kind="quiz")
    enrollment = ann.enrollments.get()
    response_record(enrollment=enrollment, activity=quiz, key=uuid.uuid4(), option_ids=[])
    client = signed_in(facilitator)
    page = client.get(WEEK).content.decode()
    assert "Hovedpoeng å repetere" in page and "Bruk til repetisjon" in page
    response = client.post(WEEK + "recall/", {"action": "use", "activity": quiz.pk})
    assert response.status_code == 302 and response["Location"].endswith("/weeks/1/#recall")
    client.post(WEEK + "recall/", {"action": "use", "activity": quiz.pk})  # twice: once
    client.post(
        WEEK + "recall/",
        {"action": "add", "prompt": "What was the point of asking?", "answer": "Listening."},
    )
    questions = list(unit.recall_questions.order_by("position"))
    assert [(q.activity_id, q.prompt, q.answer) for q in questions] == [
        (quiz.pk, "", ""),
        (None, "What was the point of asking?", "Listening."),
    ]
    # Ann did week 1 already: both come back to her, first when week 2 opens.
    cards = RecallCard.objects.filter(enrollment=enrollment)
    assert {c.question_id for c in cards} == {q.pk for q in questions}
    assert {c.due for c in cards} == {program.opens_at(2)}
    page = client.get(WEEK).content.decode()
    assert "Quiz, brukt til repetisjon" in page and "Bruk til repetisjon" not in page
    client.post(WEEK + "recall/", {"action": "remove", "question": questions[1].pk})
    assert list(unit.recall_questions.values_list("pk", flat=True)) == [questions[0].pk]


def test_a_key_point_without_its_answer_is_refused_and_keeps_what_was_typed(facilitator, program):
    client = signed_in(facilitator)
    response = client.post(WEEK + "recall/", {"action": "add", "prompt": "Half a thought?"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Skriv svaret deltakeren sjekker seg mot." in page and "Half a thought?" in page
    assert not RecallQuestion.objects.exists()


def test_another_organizations_people_cannot_touch_key_points(outsider, facilitator, program):
    quiz = program.units.get(number=1).activities.get(kind="quiz")
    response = signed_in(outsider).post(WEEK + "recall/", {"action": "use", "activity": quiz.pk})
    assert response.status_code == 404
    other_quiz = outsider.enrollments.get().program.units.get(number=1).activities.get(kind="quiz")
    response = signed_in(facilitator).post(
        WEEK + "recall/", {"action": "use", "activity": other_quiz.pk}
    )
    assert response.status_code == 404
    assert not RecallQuestion.objects.exists()
