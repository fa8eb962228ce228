"""Hand-built histories with known figures, and a check of every statement the tests store."""

import datetime as dt
import uuid

import pytest
import time_machine

from pocketmentor.conftest import OSLO, START, make_person, make_program
from pocketmentor.insights import services
from pocketmentor.insights.models import LearningRecord
from pocketmentor.insights.xapi import problems
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.services import response_record
from pocketmentor.orgs.models import Membership
from pocketmentor.programs.models import Group


@pytest.fixture(autouse=True)
def _every_statement_is_valid(request):
    """After each test, every statement it stored must follow the xAPI 1.0.3 rules."""
    names = request.fixturenames
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        names
    )
    if uses_db:
        request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    yield
    if uses_db:
        for statement in LearningRecord.objects.values_list("statement", flat=True):
            assert problems(statement) == [], statement


def at(week: int, day: int = 1, hour: int = 12) -> dt.datetime:
    """Noon (by default) on a day of a program week: day 1 is the Monday it opens."""
    moment = dt.datetime.combine(START, dt.time(hour), tzinfo=OSLO)
    return moment + dt.timedelta(weeks=week - 1, days=day - 1)


def act(enrollment, activity, moment, **fields):
    """Answer or check in an activity at a moment, as the participant app does."""
    if activity.kind == "quiz":
        fields.setdefault("option_ids", [activity.options.order_by("position")[0].pk])
    if activity.kind == "poll":
        fields.setdefault("value", 3)
    if activity.kind == "reflection":
        fields.setdefault("text", "Something I noticed.")
    with time_machine.travel(moment, tick=False):
        response, _ = response_record(
            enrollment=enrollment, activity=activity, key=uuid.uuid4(), **fields
        )
    return response


def activity(program, week: int, kind: str):
    return program.units.get(number=week).activities.get(kind=kind)


class Story:
    """Five participants over four weeks; see the docstring of `story` for what happened."""

    def __init__(self, org):
        self.org = org
        self.program = make_program(org, slug="story", weeks=4)
        self.a = Group.objects.create(program=self.program, name="A")
        self.b = Group.objects.create(program=self.program, name="B")
        self.people = {}

    def enroll(self, name, *, group, department, at_moment):
        user = make_person(f"{name}@fjordvik.example", org=self.org, role="participant")
        Membership.objects.filter(user=user).update(department=department)
        enrollment = Enrollment.objects.create(
            user=user, program=self.program, group=group, enrolled_at=at_moment
        )
        self.people[name] = enrollment
        return enrollment

    def do(self, name, week, kind, moment, **fields):
        return act(self.people[name], activity(self.program, week, kind), moment, **fields)


@pytest.fixture
def story(org):
    """Known answers, all kinds counted (reflection and task only in brackets):

    p1 Oppvekst, group A: reflection in week 1, task in week 3, week 1's quiz late in week 3.
    p2 Helse, group A: quiz in week 1, a self-assessment (4) in week 2.
    p3 Oppvekst, group B, enrolled on the Wednesday of week 2: reflection in week 2 (shared
       with the group), quiz in week 3.
    p4 no department, group B: task in week 1, reflection in week 2, self-assessment (2) in
       week 3; deactivated the Tuesday of week 3.
    p5 Helse, no group: never does anything.

    week 1: 3 of 4 active = 75 % (2 of 4 = 50 %)
    week 2: 3 of 5 = 60 % (2 of 5 = 40 %)
    week 3: 2 of 4 = 50 % (p4 has left; 1 of 4 = 25 %)
    week 4: 0 of 4 = 0 %, an empty week
    """
    s = Story(org)
    before = at(1) - dt.timedelta(days=3)
    s.enroll("p1", group=s.a, department="Oppvekst", at_moment=before)
    s.enroll("p2", group=s.a, department="Helse", at_moment=before)
    s.enroll("p4", group=s.b, department="", at_moment=before)
    s.enroll("p5", group=None, department="Helse", at_moment=before)
    s.do("p1", 1, "reflection", at(1, 2))
    s.do("p2", 1, "quiz", at(1, 3))
    s.do("p4", 1, "task", at(1, 6, hour=22))
    with time_machine.travel(at(1, 7), tick=False):
        services.figures_refresh(program=s.program)
    s.enroll("p3", group=s.b, department="Oppvekst", at_moment=at(2, 3, hour=9))
    s.do("p2", 2, "poll", at(2, 1, hour=8), value=4)
    s.do("p3", 2, "reflection", at(2, 3, hour=10), audiences=["group"])
    s.do("p4", 2, "reflection", at(2, 4))
    s.do("p1", 3, "task", at(3, 1, hour=9))
    s.do("p3", 3, "quiz", at(3, 1, hour=10))
    s.do("p4", 3, "poll", at(3, 1, hour=13), value=2)
    s.do("p1", 1, "quiz", at(3, 2, hour=8))
    with time_machine.travel(at(3, 2, hour=15), tick=False):
        Enrollment.objects.filter(pk=s.people["p4"].pk).update(is_active=False)
    with time_machine.travel(at(3, 3), tick=False):
        services.figures_refresh(program=s.program)
    return s
