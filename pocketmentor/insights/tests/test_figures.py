"""The weekly active engagement rate and its breakdowns, on a history with known answers."""

import datetime as dt
import importlib
import re
import threading
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import translation

from pocketmentor.conftest import make_program
from pocketmentor.insights import selectors, services
from pocketmentor.insights.models import (
    AnswerCount,
    Engagement,
    ProgramInsight,
    UnitFunnel,
    WeekFigure,
    WeekTally,
)
from pocketmentor.insights.tests.conftest import at
from pocketmentor.learning.models import Enrollment
from pocketmentor.lib.contrast import contrast
from pocketmentor.lib.locks import lock_try
from pocketmentor.orgs.models import Membership


def rates(program):
    return [(p.week, p.active, p.enrolled, p.percent) for p in selectors.weekly(program=program)]


def evaluated(story, moment=None):
    with time_machine.travel(moment or at(4, 3), tick=False):
        services.figures_current(program=story.program)
        return rates(story.program)


def heat(rows):
    return {r.label: [(c.point.active, c.point.enrolled) for c in r.cells] for r in rows}


def test_weekly_rate_counts_enrolled_participants_active_in_each_week(story):
    assert evaluated(story) == [(1, 3, 4, 75), (2, 3, 5, 60), (3, 2, 4, 50), (4, 0, 4, 0)]


@translation.override("en")
def test_breakdown_by_group_and_department(story):
    evaluated(story)
    program, weeks = story.program, [1, 2, 3, 4]
    groups = selectors.by_group(program=program, weeks=weeks, color="#0b5d6b")
    assert heat(groups.object_list) == {
        "A": [(2, 2), (1, 2), (1, 2), (0, 2)],
        "B": [(1, 1), (2, 2), (1, 1), (0, 1)],
        "Without a group": [(0, 1), (0, 1), (0, 1), (0, 1)],
    }
    departments = selectors.by_department(program=program, weeks=weeks, color="#0b5d6b")
    assert heat(departments) == {
        "Helse": [(1, 2), (1, 2), (0, 2), (0, 2)],
        "Oppvekst": [(1, 1), (1, 2), (2, 2), (0, 2)],
        "No department": [(1, 1), (1, 1), (0, 0), (0, 0)],  # p4 left in week 3
    }
    assert [r.label for r in departments][-1] == "No department"


def test_the_headline_compares_this_week_with_last(story):
    with time_machine.travel(at(4, 3), tick=False):
        services.figures_current(program=story.program)
        points = selectors.weekly(program=story.program)
        headline = selectors.headline(program=story.program, points=points)
    assert (headline.this.week, headline.this.percent, headline.last.percent) == (4, 0, 50)
    assert headline.change == -50 and headline.running and headline.day == 3


def test_enrolled_mid_program_counts_from_the_week_of_enrollment(story):
    assert story.program.week_at(story.people["p3"].enrolled_at) == 2
    enrolled = [n for _, _, n, _ in evaluated(story)]
    assert enrolled[:2] == [4, 5]  # p3 is not in week 1, and is in week 2
    departments = selectors.by_department(program=story.program, weeks=[1, 2], color="#000000")
    oppvekst = next(r for r in departments if r.label == "Oppvekst")
    assert [c.point.enrolled for c in oppvekst.cells] == [1, 2]


def test_deactivated_people_leave_the_figures_from_the_week_they_were_deactivated(story):
    p4 = Engagement.objects.get(pk=story.people["p4"].pk)
    assert story.program.week_at(p4.left_at) == 3
    evaluated(story)
    # Back in week 4: counted again from the weeks still open; week 3 stays as it was.
    with time_machine.travel(at(4, 4), tick=False):
        Enrollment.objects.filter(pk=p4.pk).update(is_active=True)
        services.figures_refresh(program=story.program)
        assert rates(story.program)[2:] == [(3, 2, 4, 50), (4, 0, 5, 0)]


def test_empty_weeks_and_an_empty_program_give_zero_without_dividing_by_zero(org):
    program = make_program(org, slug="empty", weeks=3)
    services.figures_current(program=program)
    assert rates(program) == [(1, 0, 0, 0), (2, 0, 0, 0)]  # the clock is in week 2
    assert selectors.by_group(program=program, weeks=[1, 2], color="#000000").object_list == []
    points = selectors.weekly(program=program)
    assert selectors.headline(program=program, points=points).change == 0


def test_a_program_before_its_start_has_no_weeks(org):
    program = make_program(org, slug="later", weeks=2)
    program.start_date = program.start_date.replace(year=2027)
    program.save()
    services.figures_current(program=program)
    assert rates(program) == []


def test_which_activities_count_is_set_per_program(story):
    evaluated(story)
    with time_machine.travel(at(4, 3), tick=False):
        services.counted_kinds_set(program=story.program, kinds=["reflection", "task"])
        assert rates(story.program) == [(1, 2, 4, 50), (2, 2, 5, 40), (3, 1, 4, 25), (4, 0, 4, 0)]


def test_ended_weeks_are_final_and_only_open_weeks_are_recounted(story):
    evaluated(story)
    state = services.figures_current(program=story.program)
    assert state.final_week == 3
    # A week that has ended is not recounted, even if someone moved group since.
    p1 = story.people["p1"]
    Enrollment.objects.filter(pk=p1.pk).update(group=story.b)
    with time_machine.travel(at(4, 5), tick=False):
        services.figures_refresh(program=story.program)
    a_week_1 = WeekFigure.objects.get(program=story.program, group=story.a, week=1)
    a_week_4 = WeekFigure.objects.get(program=story.program, group=story.a, week=4)
    assert (a_week_1.enrolled, a_week_4.enrolled) == (2, 1)


def rollup_rows(program) -> dict:
    figures = WeekFigure.objects.filter(program=program).values_list(
        "week", "dimension", "group_id", "department", "enrolled", "active"
    )
    people = Engagement.objects.filter(program=program).values_list(
        "pk", "reflection_weeks", "task_weeks", "quiz_weeks", "poll_weeks", "done", "last_done_at"
    )
    return {
        "figures": sorted(figures, key=repr),
        "people": sorted(people),
        "funnels": sorted(UnitFunnel.objects.values_list("unit", "opened", "read", "tasked")),
        "answers": sorted(AnswerCount.objects.values_list("activity", "choice", "count")),
        "tallies": sorted(WeekTally.objects.values_list("program", "week", "what", "count")),
    }


def test_rebuilding_from_the_records_gives_the_live_rollups(story):
    evaluated(story)
    live = rollup_rows(story.program)
    with time_machine.travel(at(4, 3), tick=False):
        assert services.rollups_rebuild(program=story.program) > 0
    assert rollup_rows(story.program) == live


def test_moving_the_start_recounts_every_week_in_the_worker_never_on_a_page(story):
    before = evaluated(story)
    program = story.program
    program.start_date -= dt.timedelta(days=7)
    program.save()
    with time_machine.travel(at(4, 3), tick=False):
        state = services.figures_current(program=program)  # as a page asks
        assert services.schedule_moved(state, program)
        assert rates(program) == before  # untouched until the worker rebuilds
        services.figures_current(program=program, rebuild=True)  # as the worker asks
        assert not services.schedule_moved(ProgramInsight.objects.get(program=program), program)
        # Everything happened a week later in program time now; week 1 had nothing.
        assert rates(program)[0] == (1, 0, 4, 0)


def another_process_holds(name: str):
    """The lock taken in another thread (its own database connection), until released."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        try:
            with lock_try(name) as held:
                assert held
                taken.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(30)
    return thread, release


def test_a_rebuild_while_another_process_rebuilds_the_program_does_nothing(story):
    evaluated(story)
    program = story.program
    live = rollup_rows(program)
    Engagement.objects.filter(program=program).update(reflection_weeks=0)  # to be put right
    thread, release = another_process_holds(f"insights-rebuild-{program.pk}")
    try:
        with time_machine.travel(at(4, 3), tick=False):
            assert services.rollups_rebuild(program=program) is None
        assert rollup_rows(program) != live
        with pytest.raises(CommandError, match="being rebuilt by another process"):
            call_command("insights", "rebuild", story.org.slug, program.slug)
    finally:
        release.set()
        thread.join(30)
    with time_machine.travel(at(4, 3), tick=False):
        assert services.rollups_rebuild(program=program) > 0
    assert rollup_rows(program) == live


def test_the_commands_refresh_rebuild_and_backfill(story, capsys):
    org, slug = story.org.slug, story.program.slug
    with time_machine.travel(at(4, 3), tick=False):
        call_command("insights", "refresh")
        call_command("insights", "rebuild", org, slug)
        call_command("insights", "backfill", org)
        assert evaluated(story)[0] == (1, 3, 4, 75)
    out = capsys.readouterr().out
    assert "Refreshed the figures of live programs: 1." in out
    assert f"{org}/{slug}: " in out and "0 new records." in out
    with pytest.raises(CommandError):
        call_command("insights", "rebuild", "nowhere")
    with pytest.raises(CommandError):
        call_command("insights", "key", "nowhere")


@pytest.mark.parametrize("brand", ["#0b5d6b", "#b4461e", "#1f6feb", "#6a1b9a", "#2e7d32"])
def test_every_heat_map_cell_is_readable_whatever_the_rate(brand):
    css = (Path(selectors.__file__).parent / "static/insights/insights.css").read_text()
    for active in range(51):
        classes = selectors.cell(selectors.Point(1, 50, active), brand).css
        step = int(re.match(r"h(\d+)", classes).group(1))
        assert abs(step - active * 2) <= selectors.HEAT_STEP / 2, (active, classes)
        if step:  # the shade insights.css gives the class: the brand colour at step % over white
            shade = f"color-mix(in srgb, var(--brand) {step}%, #fff)"
            assert f".heat td.h{step} {{ background: {shade}; }}" in css, classes
        background = selectors._blend(brand, step / 100)
        ink = "#ffffff" if "light" in classes.split() else "#000000"
        assert contrast(background, ink) >= 4.5, (brand, active, classes)


def test_the_worker_keeps_the_figures_of_live_programs_current(program):
    from pocketmentor.insights.models import ProgramInsight
    from pocketmentor.nudges.worker import Worker

    draft = make_program(program.organization, slug="draft")
    draft.state = "draft"
    draft.save()
    Worker(name="one").round(plan=True)
    assert list(ProgramInsight.objects.values_list("program", flat=True)) == [program.pk]
    assert ProgramInsight.objects.get().refreshed_at is not None


def test_one_department_spelled_two_ways_is_one_row_once_the_migrations_have_run(story):
    from django.apps import apps

    p3 = Membership.objects.get(user__email="p3@fjordvik.example")
    Membership.objects.filter(pk=p3.pk).update(department="oppvekst ")  # an older import's
    evaluated(story)  # weeks 1-3 are final now, with two rows
    rows = selectors.by_department(program=story.program, weeks=[2], color="#000000")
    labels = {r.label for r in rows}
    assert {"Oppvekst", "oppvekst "} <= labels
    for module in (
        "pocketmentor.orgs.migrations.0008_departments_normalised",
        "pocketmentor.insights.migrations.0002_figures_again_after_departments",
    ):
        migration = importlib.import_module(module)
        (migration.normalise if "orgs" in module else migration.figures_again)(apps, None)
    evaluated(story)
    departments = selectors.by_department(program=story.program, weeks=[1, 2], color="#000000")
    assert [r.label for r in departments if r.label.casefold().strip() == "oppvekst"] == [
        "Oppvekst"
    ]
    oppvekst = next(r for r in departments if r.label == "Oppvekst")
    assert [c.point.enrolled for c in oppvekst.cells] == [1, 2]
