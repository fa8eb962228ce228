"""Each participant page runs a fixed number of queries, whatever the size of the data."""

import pytest
from django.core.cache import cache

from pocketmentor.conftest import answer, enroll, make_person, make_unit, signed_in, week_url

# session, user, enrollment, then the page's own reads; done work adds its feedback
BUDGETS = {"": 9, "week/1/": 11, "progress/": 5, "reflections/": 5, "group/": 6}


def grow(program, org, groups):
    """Add units, participants and their responses."""
    for number in range(4, 12):
        make_unit(program, number)
    for n in range(20):
        user = make_person(f"p{n}@fjordvik.example", org=org, role="participant")
        enrollment = enroll(user, program, groups[n % 2])
        for unit in program.units.filter(number__lte=2):
            for activity in unit.activities.all():
                answer(
                    enrollment, activity, text="x", value=3 if activity.kind == "poll" else None,
                    visibility="group",
                )  # fmt: skip


@pytest.mark.parametrize(("suffix", "budget"), BUDGETS.items())
def test_participant_page_query_count_does_not_grow(
    ann, org, program, groups, django_assert_num_queries, suffix, budget
):
    enrollment = ann.enrollments.get()
    for activity in program.units.get(number=1).activities.all():
        answer(enrollment, activity, text="mine", value=2 if activity.kind == "poll" else None)
    mate = make_person("mate@fjordvik.example", org=org, role="participant")
    reflection = program.units.get(number=2).activities.get(kind="reflection")
    answer(enroll(mate, program, groups[0]), reflection, text="ours", visibility="group")
    client = signed_in(ann)
    client.get(week_url(program, suffix))  # a first view of a unit records it (insights)
    cache.clear()  # measure poll results counted afresh, the dearest case
    with django_assert_num_queries(budget):
        assert client.get(week_url(program, suffix)).status_code == 200
    grow(program, org, groups)
    cache.clear()
    with django_assert_num_queries(budget):
        assert client.get(week_url(program, suffix)).status_code == 200
