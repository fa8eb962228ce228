"""The bench's dashboard figures: queries and times of the engagement dashboard on the demo."""

import pytest

from pocketmentor import demo
from pocketmentor.bench import dashboard
from pocketmentor.programs.models import Program


@pytest.mark.django_db
def test_the_bench_measures_the_demo_dashboard():
    org = demo.demo_seed(language="nb")
    program = Program.objects.get(organization=org)
    figures = {name: value for name, value, _ in dashboard.measure(
        program=program, user=demo.demo_people()["admin"], repeat=1
    )}  # fmt: skip
    # The dashboard's own (insights/tests/test_views.py), and on the demo two for its key
    # points to recall and one for the reflections its themes quote.
    assert figures["page.dashboard.queries"] == 19 + 2 + 1
    assert figures["page.dashboard.ms"] > 0
