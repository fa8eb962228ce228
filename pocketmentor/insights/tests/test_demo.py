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
