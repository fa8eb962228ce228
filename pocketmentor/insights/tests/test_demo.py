"""The demo's history tells the case's story on the dashboard, with valid statements."""

import pytest

from pocketmentor import demo
from pocketmentor.conftest import signed_in
from pocketmentor.insights import selectors
from pocketmentor.insights.models import LearningRecord
from pocketmentor.programs.models import Program


@pytest.mark.django_db
def test_the_demo_dashboard_shows_engagement_settling_near_half_with_groups_that_differ():
    org = demo.demo_seed(language="en")
    program = Program.objects.get(organization=org)
    admin = demo.demo_people()["admin"]
    page = signed_in(admin).get(f"/studio/{org.slug}/p/{program.slug}/insights/")
    assert page.status_code == 200
    rates = [p.percent for p in selectors.weekly(program=program)]
    assert len(rates) == 5 and 75 <= rates[0] <= 85 and 45 <= rates[4] <= 55
    assert rates[:4] == sorted(rates[:4], reverse=True)
    assert abs(rates[4] - rates[3]) <= 5  # it has settled
    groups = selectors.by_group(program=program, weeks=[5], color="#000000", page=1)
    week_5 = [row.cells[0].point.percent for row in groups.object_list]
    assert max(week_5) - min(week_5) >= 40
    funnel = selectors.funnels(program=program, weeks=selectors.weekly(program=program))[0]
    opened, read, tasked, reflected = (step.count for step in funnel.steps)
    assert opened > read > tasked > 0 and reflected > 0
    verbs = set(LearningRecord.objects.values_list("verb", flat=True))
    assert len(verbs) == 6  # launched, experienced, answered, completed, shared, commented
    assert selectors.at_risk(program=program).paginator.count > 0


@pytest.mark.django_db
def test_the_demo_has_five_weeks_of_recall_scheduled_by_fsrs_and_shows_retention():
    import datetime as dt

    import fsrs

    from pocketmentor.insights import records
    from pocketmentor.learning import selectors as learning_selectors
    from pocketmentor.learning.models import RecallAnswer, RecallCard
    from pocketmentor.learning.services import SCHEDULER

    org = demo.demo_seed(language="nb")
    program = Program.objects.get(organization=org)
    answers = list(RecallAnswer.objects.filter(question__unit__program=program))
    weeks = {program.week_at(a.created_at) for a in answers}
    assert weeks == {2, 3, 4, 5}  # recall starts the week after week 1
    assert {a.repetition for a in answers} >= {1, 2, 3}
    # Every card's stored schedule is what FSRS gives for its recalls, replayed.
    for card in RecallCard.objects.filter(enrollment__program=program, reps__gt=0)[:40]:
        replayed = fsrs.Card(card_id=1, due=program.opens_at(card.question.unit.number + 1))
        mine = RecallAnswer.objects.filter(enrollment=card.enrollment, question=card.question)
        for answer in mine.order_by("repetition"):
            moment = answer.created_at.astimezone(dt.UTC)
            replayed, _ = SCHEDULER.review_card(replayed, fsrs.Rating(answer.rating), moment)
            assert answer.due == replayed.due
        assert card.due == replayed.due
        assert card.stability == pytest.approx(replayed.stability)
    # The participant whose link the demo prints has key points to recall this week.
    participant = demo.demo_people()["participant"]
    enrollment = participant.enrollments.get()
    assert learning_selectors.recall_items(enrollment=enrollment)
    # Each recall is a learning record, and the dashboard and brief show retention.
    recalled = LearningRecord.objects.filter(object__contains=records.RECALL_PATH).count()
    assert recalled == len(answers)
    retention = selectors.retention(program=program)
    shown = [c for row in retention.points for c in row.cells if c.shown]
    assert shown and all(0 < c.percent <= 100 for c in shown)
    assert selectors.most_forgotten(program=program)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_demo_dashboard_brief_and_feed_show_reflection_themes(language):
    org = demo.demo_seed(language=language)
    program = Program.objects.get(organization=org)
    week, found = selectors.themes(program=program)
    assert week is not None and found and all(t.people >= 3 and t.quotes for t in found)
    facilitator = signed_in(demo.demo_people()["facilitator"])
    facilitator.post("/language/", {"language": language})
    heading = {"nb": "Hva deltakerne skriver om", "en": "What participants write about"}
    for path in ("insights/", "insights/brief/", "shared/"):
        page = facilitator.get(f"/studio/{org.slug}/p/{program.slug}/{path}").content.decode()
        assert heading[language] in page and f"<strong>{' · '.join(found[0].words)}" in page
