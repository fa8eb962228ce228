"""The move from one visibility to a set of audiences keeps who sees what, both ways."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pocketmentor.conftest import enroll, make_person, make_program
from pocketmentor.orgs.models import Organization

BEFORE = [("learning", "0008_recall_options")]
AFTER = [("learning", "0011_remove_response_visibility")]
FLAGS = ["shared_with_group", "shared_with_supporters", "shared_with_facilitators"]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_each_visibility_becomes_the_same_audience_and_back():
    org = Organization.objects.create(name="M", slug="m")
    program = make_program(org, weeks=1)
    people = [make_person(f"u{n}@m.example", org=org, role="participant") for n in range(4)]
    enrollments = [enroll(person, program) for person in people]
    activity = program.units.get().activities.get(kind="reflection")
    Response = migrate(BEFORE).get_model("learning", "Response")
    values = ["private", "group", "supporters", "facilitators"]
    for enrollment, value in zip(enrollments, values, strict=True):
        Response.objects.create(enrollment_id=enrollment.pk, activity_id=activity.pk,
                                key=uuid.uuid4(), text="t", visibility=value)  # fmt: skip

    Response = migrate(AFTER).get_model("learning", "Response")
    rows = Response.objects.order_by("enrollment_id").values_list(*FLAGS)
    assert list(rows) == [
        (False, False, False),
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    Response.objects.filter(enrollment_id=enrollments[0].pk).update(
        shared_with_group=True, shared_with_facilitators=True
    )  # several audiences: only possible after

    Response = migrate(BEFORE).get_model("learning", "Response")
    rows = Response.objects.order_by("enrollment_id").values_list("visibility", flat=True)
    assert list(rows) == ["facilitators", "group", "supporters", "facilitators"]
    migrate(AFTER)
