"""The demo's history tells the case's story on the dashboard, with valid statements."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Max

from pocketmentor import demo
from pocketmentor.conftest import signed_in
from pocketmentor.insights import records, selectors
from pocketmentor.insights.models import LearningRecord, WeekTally
from pocketmentor.learning.models import Enrollment
from pocketmentor.programs.models import Program, Seminar


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
    assert len(verbs) == 7  # logged-in, launched, experienced, answered, completed, shared,
    # commented
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


@pytest.mark.django_db
def test_the_demo_records_the_sign_ins_its_people_last_signed_in_with():
    org = demo.demo_seed(language="nb")
    program = Program.objects.get(organization=org)
    signed_in_weeks = dict(
        WeekTally.objects.filter(program=program, what=WeekTally.What.SIGNED_IN).values_list(
            "week", "count"
        )
    )
    assert set(signed_in_weeks) == {1, 2, 3, 4, 5}  # every week so far has some
    assert signed_in_weeks[1] > 150  # most from the invitation, before their first visit
    logged_in = LearningRecord.objects.filter(program=program, verb=records.LOGGED_IN.iri)
    assert logged_in.count() == sum(signed_in_weeks.values())
    latest = dict(logged_in.values_list("enrollment_id").annotate(at=Max("timestamp")))
    people = Enrollment.objects.filter(program=program, user__last_login__isnull=False)
    assert len(latest) == people.count() > 0
    for enrollment in people.select_related("user"):
        assert enrollment.user.last_login == latest[enrollment.pk]
    page = signed_in(demo.demo_people()["admin"]).get(
        f"/studio/{org.slug}/p/{program.slug}/insights/"
    )
    sign_ins = {week: counts[0] for week, counts in page.context["tally_rows"]}  # the first kind
    assert sign_ins == signed_in_weeks  # the sharing table shows them, not 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today",
    ["2026-12-05 10:00", "2027-01-25 10:00", "2027-04-20 10:00", "2027-06-20 10:00",
     "2026-03-02 06:00"],
)  # fmt: skip
def test_the_demo_seminars_fall_on_working_days_outside_the_holidays(today):
    oslo = ZoneInfo("Europe/Oslo")
    with time_machine.travel(dt.datetime.fromisoformat(today).replace(tzinfo=oslo), tick=False):
        org = demo.demo_seed(language="nb")
    program = Program.objects.get(organization=org)
    kickoff, closing = Seminar.objects.filter(program=program).order_by("starts_at")
    assert kickoff.title == "Oppstartssamling" and closing.title == "Avslutningssamling"
    assert kickoff.starts_at < program.opens_at(1) and closing.starts_at > program.opens_at(9)
    for seminar, weekday in ((kickoff, 3), (closing, 2)):  # Thursday and Friday, Wednesday
        starts = seminar.starts_at.astimezone(oslo)
        days = {starts.date(), starts.date() + dt.timedelta(days=1)}
        assert starts.weekday() == weekday and starts.hour == 9
        assert all(day.month != 7 for day in days)
        assert not any(
            (day.month, day.day) >= (12, 20) or (day.month, day.day) <= (1, 3) for day in days
        )
        assert not days & demo._holidays(starts.year)
