"""What explains the figure: the funnel per unit, polls, sharing, the people at risk, the brief."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from pocketmentor.insights import records, selectors, services
from pocketmentor.insights.models import Engagement, LearningRecord
from pocketmentor.insights.tests.conftest import act, activity, at
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.services import feedback_give, reaction_toggle, response_edit
from pocketmentor.programs.models import Seminar


def test_the_funnel_counts_each_participant_once_per_step(story):
    program, unit = story.program, story.program.units.get(number=1)
    people = story.people
    for name in ("p1", "p2", "p4", "p5", "p1"):  # p1 opens it twice: counted once
        services.unit_opened(enrollment=people[name], unit=unit)
    for name in ("p1", "p2", "p2"):
        services.cards_read(enrollment=people[name], unit=unit)
    with time_machine.travel(at(4, 3), tick=False):
        services.figures_current(program=program)
        points = selectors.weekly(program=program)
    funnels = selectors.funnels(program=program, weeks=points)
    assert [f.unit.number for f in funnels] == [1, 2, 3, 4]
    # Unit 1: p4 checked in its task, p1 reflected; p1's late quiz is no step of the funnel.
    assert [(s.count, s.percent) for s in funnels[0].steps] == [(4, 100), (2, 50), (1, 25), (1, 25)]
    assert [s.count for s in funnels[1].steps] == [0, 0, 0, 2]  # p3 and p4 reflected in week 2
    assert [s.count for s in funnels[2].steps] == [0, 0, 1, 0]


def test_a_second_reflection_in_a_unit_is_not_a_second_step(story):
    unit = story.program.units.get(number=2)
    extra = unit.activities.create(position=9, kind="reflection", prompt="And also?")
    act(story.people["p3"], extra, at(2, 5))
    weeks = [selectors.Point(week, 5) for week in (1, 2)]
    funnel = selectors.funnels(program=story.program, weeks=weeks)
    assert [step.count for step in funnel[1].steps] == [0, 0, 0, 2]


def test_polls_and_self_assessments_over_the_weeks(story, settings):
    settings.POLL_MIN_ANSWERS = 1
    with time_machine.travel(at(4, 3), tick=False):
        results = selectors.polls(program=story.program, weeks=4)
    assert [(r.activity.unit.number, r.total, r.mean) for r in results] == [
        (1, 0, None),
        (2, 1, 4.0),
        (3, 1, 2.0),
        (4, 0, None),
    ]
    assert [a.count for a in results[1].answers] == [0, 0, 0, 1, 0]


def test_poll_shares_and_mean_wait_for_the_minimum_of_answers(story, settings):
    settings.POLL_MIN_ANSWERS = 2  # week 2's poll has one answer
    with time_machine.travel(at(4, 3), tick=False):
        week_two = selectors.polls(program=story.program, weeks=4)[1]
    assert (week_two.total, week_two.answers, week_two.mean) == (1, [], None)


def test_a_poll_of_options_counts_each_option(org, story, settings):
    settings.POLL_MIN_ANSWERS = 1
    poll = activity(story.program, 2, "poll")
    poll.scale_min = poll.scale_max = None
    poll.save()
    yes, no = (
        poll.options.create(position=1, text="Yes"),
        poll.options.create(position=2, text="No"),
    )
    act(story.people["p1"], poll, at(2, 5), value=None, option_ids=[yes.pk])
    act(story.people["p5"], poll, at(2, 5), value=None, option_ids=[no.pk])
    act(story.people["p3"], poll, at(2, 6), value=None, option_ids=[no.pk])
    result = next(r for r in selectors.polls(program=story.program, weeks=2) if r.activity == poll)
    assert [(a.label, a.count, a.percent) for a in result.answers] == [
        ("Yes", 1, 33),
        ("No", 2, 67),
    ]


def test_shares_feedback_reactions_and_sign_ins_are_tallied_by_week(story, facilitator):
    p1, p3 = story.people["p1"], story.people["p3"]
    with time_machine.travel(at(3, 4), tick=False):
        shared = p3.responses.get(activity__kind="reflection")  # shared with the group in week 2
        reaction_toggle(response=shared, user=story.people["p4"].user, kind="same")
        mine = p1.responses.get(activity__kind="reflection")
        response_edit(response=mine, text=mine.text, audiences=["facilitators"])
        response_edit(response=mine, text="Changed", audiences=["facilitators"])  # not again
        feedback_give(response=mine, author=facilitator, text="Well seen.")
        services.sign_in_recorded(user=p1.user)
        rows = selectors.tallies(program=story.program, weeks=[1, 2, 3])
    assert [r.counts for r in rows] == [
        {},
        {"shared": 1},
        {"reacted": 1, "shared": 1, "feedback": 1, "signed_in": 1},
    ]


def test_a_reflection_shared_twice_or_with_two_audiences_counts_once(story):
    p1 = story.people["p1"]
    mine = p1.responses.get(activity__kind="reflection")  # written in week 1, private
    with time_machine.travel(at(3, 4), tick=False):
        response_edit(response=mine, text=mine.text, audiences=["group", "facilitators"])
        response_edit(response=mine, text=mine.text, audiences=["group"])
        response_edit(response=mine, text=mine.text, audiences=[])  # taken back
        response_edit(response=mine, text=mine.text, audiences=["supporters", "facilitators"])
    with time_machine.travel(at(4, 1), tick=False):
        response_edit(response=mine, text=mine.text, audiences=["group"])  # again, a week later
        live = [r.counts for r in selectors.tallies(program=story.program, weeks=[2, 3, 4])]
        statements = LearningRecord.objects.filter(
            enrollment=p1, activity_id=mine.activity_id, verb=records.SHARED.iri
        )
        # A statement each time it gained an audience, naming all it is shared with then.
        audiences = [r.statement for r in statements]
        services.rollups_rebuild(program=story.program)
        rebuilt = [r.counts for r in selectors.tallies(program=story.program, weeks=[2, 3, 4])]
    assert live == [{"shared": 1}, {"shared": 1}, {}]  # p3's in week 2, p1's in week 3 only
    assert rebuilt == live
    key = records.extension("audience")
    assert sorted(s["context"]["extensions"][key] for s in audiences) == [
        ["group"],
        ["group", "facilitators"],
        ["supporters", "facilitators"],
    ]


def test_participants_at_risk_have_no_activity_for_two_weeks(story):
    with time_machine.travel(at(4, 3), tick=False):
        page = selectors.at_risk(program=story.program)
    # p5 never did anything; p2's last was in week 2's first hour, more than 14 days ago.
    # p4 is deactivated, p1 and p3 were active in week 3.
    assert [e.enrollment.user.email.split("@")[0] for e in page] == ["p5", "p2"]
    with time_machine.travel(at(3, 3), tick=False):
        assert selectors.at_risk(program=story.program).paginator.count == 1  # p5


def test_newly_enrolled_people_are_not_at_risk_before_two_weeks(story):
    with time_machine.travel(at(4, 1), tick=False):
        late = Enrollment.objects.create(
            user=story.people["p5"].user.__class__.objects.create_user("new@fjordvik.example"),
            program=story.program,
        )
        services.figures_refresh(program=story.program)
        risky = {e.pk for e in selectors.at_risk(program=story.program)}
    assert late.pk not in risky


def test_a_reminder_is_asked_once_a_day_per_person_and_sent_as_a_nudge(
    story, django_capture_on_commit_callbacks
):
    p5 = Enrollment.objects.select_related("user", "program").get(pk=story.people["p5"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.reminder_send(enrollment=p5)
    # No e-mail from here: the nudges app sends it under its rules (nudges/tests).
    assert mail.outbox == []
    first = Engagement.objects.get(pk=p5.pk).reminded_at
    assert first is not None
    with pytest.raises(services.ReminderRefused):
        services.reminder_send(enrollment=p5)
    later = first + dt.timedelta(days=1, minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.reminder_send(enrollment=p5)
    assert Engagement.objects.get(pk=p5.pk).reminded_at == later


def test_the_seminar_brief_covers_the_weeks_since_the_last_seminar(story, facilitator):
    program = story.program
    Seminar.objects.create(
        program=program, title="Kick-off", starts_at=at(1, 1, 9) - dt.timedelta(days=4),
        ends_at=at(1, 1, 16) - dt.timedelta(days=4),
    )  # fmt: skip
    Seminar.objects.create(
        program=program, title="Midway", starts_at=at(2, 5, 9), ends_at=at(2, 5, 15)
    )
    Seminar.objects.create(
        program=program, title="Closing", starts_at=at(5, 2, 9), ends_at=at(5, 2, 15)
    )
    p1 = story.people["p1"]
    with time_machine.travel(at(3, 4), tick=False):
        mine = p1.responses.get(activity__kind="reflection")
        response_edit(response=mine, text="Shared with the coaches", audiences=["facilitators"])
    with time_machine.travel(at(4, 3), tick=False):
        services.figures_current(program=program)
        points = selectors.weekly(program=program)
        brief = selectors.brief(program=program, points=points)
    assert (brief.upcoming.title, brief.previous.title) == ("Closing", "Midway")
    assert [p.week for p in brief.weeks] == [2, 3, 4]
    # Written in week 1, shared with the facilitators since the last seminar.
    assert [r.text for r in brief.shared] == ["Shared with the coaches"]
    assert brief.totals == {"shared": 2}  # p3's in week 2, p1's in week 3
