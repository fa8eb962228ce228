"""The exports and the chart say what the dashboard says: the same people in the same weeks.

The story (conftest): five participants over four weeks, with rates of 75, 60, 50 and 0 %.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from pocketmentor.conftest import make_person, make_program
from pocketmentor.insights import charts, exports, selectors, services
from pocketmentor.insights.models import AnswerCount, ProgramInsight, UnitFunnel, WeekTally
from pocketmentor.insights.selectors import Point
from pocketmentor.insights.tests.conftest import activity, at
from pocketmentor.learning.models import Enrollment
from pocketmentor.orgs.models import Membership
from pocketmentor.programs.models import Group, Seminar

LATER = at(4, 3)


@pytest.fixture
def evaluated(story):
    with time_machine.travel(LATER, tick=False):
        services.figures_current(program=story.program)
    return story


def participant_table(program) -> tuple[list, list[list]]:
    kinds = ProgramInsight.objects.get(program=program).kinds
    weeks = len(selectors.weekly(program=program))
    with time_machine.travel(LATER, tick=False), translation.override("en"):
        header, *rows = exports.participants_rows(program=program, kinds=kinds, weeks=weeks)
    return header, rows


def test_the_participant_table_marks_the_same_weeks_as_the_weekly_figures(evaluated):
    header, rows = participant_table(evaluated.program)
    first = header.index("Week 1")
    for point in selectors.weekly(program=evaluated.program):
        column = [row[first + point.week - 1] for row in rows]
        taking_part = [flag for flag in column if flag != ""]
        assert (len(taking_part), sum(taking_part)) == (point.enrolled, point.active), point


def test_the_participant_table_leaves_weeks_blank_before_enrolling_and_after_leaving(evaluated):
    header, rows = participant_table(evaluated.program)
    first = header.index("Week 1")
    by_name = {row[0]: row for row in rows}
    assert by_name["P3"][first : first + 4] == ["", 1, 1, 0]  # enrolled in week 2
    assert by_name["P4"][first : first + 4] == [1, 1, "", ""]  # left in week 3
    assert by_name["P4"][header.index("Status")] == "Deactivated"
    assert by_name["P4"][header.index("Weeks active")] == 2
    assert by_name["P5"][first : first + 4] == [0, 0, 0, 0]


def test_the_participant_tables_at_risk_column_names_the_dashboards_people_at_risk(evaluated):
    header, rows = participant_table(evaluated.program)
    flagged = {row[0] for row in rows if row[header.index("At risk")] == "Yes"}
    with time_machine.travel(LATER, tick=False):
        listed = {e.enrollment.user.name for e in selectors.at_risk(program=evaluated.program)}
    assert flagged == listed == {"P2", "P5"}


def test_the_participant_table_shows_the_last_activity_in_local_time_to_the_second(evaluated):
    header, rows = participant_table(evaluated.program)
    by_name = {row[0]: row for row in rows}
    last = by_name["P4"][header.index("Last activity (Europe/Oslo)")]
    assert last == at(3, 1, hour=13) and last.microsecond == 0
    assert by_name["P5"][header.index("Last activity (Europe/Oslo)")] == ""


@translation.override("en")
def test_the_figures_table_lists_the_program_then_departments_then_groups_week_by_week(
    evaluated,
):
    header, *rows = exports.figures_rows(program=evaluated.program)
    assert header[:3] == ["Breakdown", "Name", "Week"]
    program_rows = [row for row in rows if row[0] == "Program"]
    assert [(row[2], row[5]) for row in program_rows] == [(1, 75.0), (2, 60.0), (3, 50.0), (4, 0.0)]
    order = []
    for breakdown, name, *_ in rows:
        if (breakdown, name) not in order:
            order.append((breakdown, name))
    assert order == [
        ("Program", "Leading"),
        ("Department", "Helse"),
        ("Department", "No department"),
        ("Department", "Oppvekst"),
        ("Group", "A"),
        ("Group", "B"),
        ("Group", "Without a group"),
    ]


@translation.override("en")
def test_group_names_with_numbers_sort_as_people_read_them_and_rates_keep_one_decimal(org):
    program = make_program(org, slug="numbers", weeks=1)
    for n, name in enumerate(["Group 10", "Group 2", "Group 1"]):
        group = Group.objects.create(program=program, name=name)
        for i in range(3):
            user = make_person(f"g{n}{i}@fjordvik.example", org=org, role="participant")
            Enrollment.objects.create(user=user, program=program, group=group, enrolled_at=at(1))
    with time_machine.travel(at(1, 3), tick=False):
        services.figures_current(program=program)
    _, *rows = exports.figures_rows(program=program)
    groups = [row for row in rows if row[0] == "Group"]
    assert [row[1] for row in groups] == ["Group 1", "Group 2", "Group 10"]
    assert {row[5] for row in groups} == {0.0}


def test_the_size_of_an_export_is_known_before_making_it(evaluated):
    figures = list(exports.figures_rows(program=evaluated.program))
    assert exports.cells(program=evaluated.program, table="figures") == (len(figures) - 1) * 6
    header, rows = participant_table(evaluated.program)
    assert exports.cells(program=evaluated.program, table="participants") == len(rows) * len(header)


def test_a_sign_in_at_the_last_second_of_a_week_is_tallied_in_it_and_at_its_opening_in_the_next(
    org,
):
    program = make_program(org, slug="tally", weeks=3)
    user = make_person("night@fjordvik.example", org=org, role="participant")
    Enrollment.objects.create(user=user, program=program, enrolled_at=at(1))
    opening = program.opens_at(2)
    for moment in (opening - dt.timedelta(seconds=1), opening, opening):
        with time_machine.travel(moment, tick=False):
            services.sign_in_recorded(user=user)
    tallies = selectors.tallies(program=program, weeks=[1, 2])
    assert [(t.week, t.counts.get(WeekTally.What.SIGNED_IN)) for t in tallies] == [(1, 1), (2, 2)]


def test_a_deactivated_participant_signing_in_is_not_tallied(org):
    program = make_program(org, slug="gone", weeks=2)
    user = make_person("gone@fjordvik.example", org=org, role="participant")
    Enrollment.objects.create(user=user, program=program, enrolled_at=at(1), is_active=False)
    with time_machine.travel(at(1, 2), tick=False):
        services.sign_in_recorded(user=user)
    assert not WeekTally.objects.filter(program=program).exists()


# The chart ------------------------------------------------------------------------------------


def points(*rates: tuple[int, int]) -> list[Point]:
    return [Point(week, enrolled, active) for week, (active, enrolled) in enumerate(rates, 1)]


def test_each_bar_is_as_tall_as_its_rate_and_the_running_week_is_marked():
    chart = charts.weekly_chart(points((3, 4), (0, 4), (4, 4)), running_week=3)
    full = charts.BOTTOM - charts.TOP
    assert [bar.height for bar in chart.bars] == [round(full * 0.75, 1), 0, full]
    assert [bar.y + bar.height for bar in chart.bars] == [charts.BOTTOM] * 3
    assert [bar.running for bar in chart.bars] == [False, False, True]
    assert [bar.percent for bar in chart.bars] == [75, 0, 100]
    assert [p for _, p in chart.grid] == [0, 25, 50, 75, 100]


def test_bars_stay_inside_the_drawing_and_never_overlap_however_many_weeks():
    for weeks in (1, 8, 13, 26, 52):
        bars = charts.weekly_chart(points(*[(1, 2)] * weeks)).bars
        assert bars[0].x >= charts.LEFT and bars[-1].x + bars[-1].width <= charts.RIGHT
        assert all(a.x + a.width < b.x for a, b in zip(bars, bars[1:], strict=False))
        assert max(bar.width for bar in bars) <= 40


def test_long_programs_label_every_second_or_fourth_week_and_always_the_last():
    labelled = {
        weeks: [bar.week for bar in charts.weekly_chart(points(*[(1, 2)] * weeks)).bars
                if bar.show_label]
        for weeks in (13, 14, 30)
    }  # fmt: skip
    assert labelled[13] == list(range(1, 14))
    assert labelled[14] == [1, 3, 5, 7, 9, 11, 13, 14]
    assert labelled[30] == [1, 5, 9, 13, 17, 21, 25, 29, 30]


def test_the_charts_text_summary_reads_every_week_in_the_pages_language():
    with translation.override("en"):
        assert charts.weekly_chart(points((1, 2), (0, 0))).summary == "week 1: 50%, week 2: 0%"
    with translation.override("nb"):
        assert charts.weekly_chart(points((1, 2))).summary == "uke 1: 50 %"
    assert charts.weekly_chart([]).bars == []


# The seminar brief: which weeks it covers ------------------------------------------------------


def brief_at(program, moment):
    with time_machine.travel(moment, tick=False):
        services.figures_current(program=program)
        return selectors.brief(program=program, points=selectors.weekly(program=program))


def seminar(program, title, starts_at, hours=6):
    return Seminar.objects.create(
        program=program, title=title, starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
    )  # fmt: skip


def test_without_seminars_the_brief_covers_the_program_from_its_first_week(evaluated):
    brief = brief_at(evaluated.program, LATER)
    assert (brief.upcoming, brief.previous) == (None, None)
    assert brief.since == evaluated.program.opens_at(1)
    assert [p.week for p in brief.weeks] == [1, 2, 3, 4]
    assert brief.totals == {"shared": 1}  # p3's reflection, shared with the group in week 2


def test_a_seminar_under_way_is_the_upcoming_one_until_it_ends(evaluated):
    program = evaluated.program
    first = seminar(program, "First", at(2, 1, hour=9))
    now = seminar(program, "Now", at(4, 3, hour=9))
    during = brief_at(program, at(4, 3, hour=12))
    assert (during.upcoming, during.previous) == (now, first)
    assert during.since == first.ends_at and [p.week for p in during.weeks] == [2, 3, 4]
    after = brief_at(program, now.ends_at + dt.timedelta(seconds=1))
    assert (after.upcoming, after.previous) == (None, now)
    assert after.since == now.ends_at and [p.week for p in after.weeks] == [4]


def test_the_brief_after_several_seminars_starts_where_the_latest_ended(evaluated):
    program = evaluated.program
    seminar(program, "Kick-off", at(1, 1, hour=9) - dt.timedelta(days=3))
    seminar(program, "Second", at(1, 4, hour=9))
    third = seminar(program, "Third", at(2, 4, hour=9))
    closing = seminar(program, "Closing", at(4, 5, hour=9))
    brief = brief_at(program, LATER)
    assert (brief.upcoming, brief.previous) == (closing, third)
    assert [p.week for p in brief.weeks] == [2, 3, 4]
    # Totals count whole weeks: p3's share on the Wednesday of week 2, the day before the
    # third seminar, is in week 2, the first week the brief covers.
    assert brief.totals == {"shared": 1}


# Heat map cells, funnels and polls -------------------------------------------------------------


def test_a_heat_cell_darkens_in_five_percent_steps_as_the_rate_rises_and_never_lightens():
    steps = []
    for active in range(41):
        found = selectors.cell(Point(1, 40, active), "#0b5d6b")
        step = int(found.css.split()[0].removeprefix("h"))
        assert step % selectors.HEAT_STEP == 0 and abs(step - 2.5 * active) <= 2.5
        steps.append(step)
    assert steps == sorted(steps) and (steps[0], steps[-1]) == (0, 100)


def test_a_heat_cell_says_its_figure_and_an_empty_week_says_so():
    with translation.override("en"):
        third = selectors.cell(Point(2, 3, 1), "#0b5d6b")
        empty = selectors.cell(Point(2, 0, 0), "#0b5d6b")
    assert (third.text, third.title, third.css.split()[0]) == ("33", "1 of 3", "h35")
    assert (empty.text, empty.title, empty.css) == ("–", "0 of 0", "h0")
    assert "light" in selectors.cell(Point(1, 1, 1), "#0b5d6b").css.split()  # white on dark


def test_a_funnel_counts_against_the_latest_weeks_enrolled_and_stops_at_all_of_them(org):
    program = make_program(org, slug="funnel", weeks=2)
    first, second = program.units.order_by("number")
    UnitFunnel.objects.create(unit=first, opened=5, read=3, tasked=2, reflected=0)
    weeks = [Point(1, 6, 3), Point(2, 4, 2)]  # two left in week 2
    with translation.override("en"):
        found = selectors.funnels(program=program, weeks=weeks)
    assert [f.unit for f in found] == [first, second]
    assert [(s.label, s.count, s.percent) for s in found[0].steps] == [
        ("Opened", 5, 100), ("Read the cards", 3, 75), ("Did the task", 2, 50),
        ("Reflected", 0, 0),
    ]  # fmt: skip
    assert [s.count for s in found[1].steps] == [0, 0, 0, 0]  # nobody opened it yet
    assert selectors.funnels(program=program, weeks=[Point(1)])[0].steps[0].percent == 0
    assert [f.unit for f in selectors.funnels(program=program, weeks=weeks[:1])] == [first]


def test_a_poll_shows_its_answers_only_from_the_minimum_and_then_their_shares_and_mean(
    org, settings
):
    settings.POLL_MIN_ANSWERS = 5
    program = make_program(org, slug="poll", weeks=1)
    poll = activity(program, 1, "poll")
    for value, count in [(2, 1), (4, 3)]:
        AnswerCount.objects.create(activity=poll, choice=value, count=count)
    [few] = selectors.polls(program=program, weeks=1)
    assert (few.total, few.answers, few.mean) == (4, [], None)
    AnswerCount.objects.create(activity=poll, choice=5, count=1)
    [enough] = selectors.polls(program=program, weeks=1)
    assert [(a.label, a.count, a.percent) for a in enough.answers] == [
        ("1", 0, 0), ("2", 1, 20), ("3", 0, 0), ("4", 3, 60), ("5", 1, 20),
    ]  # fmt: skip
    assert (enough.total, enough.mean) == (5, pytest.approx(3.8))


def test_departments_sort_without_regard_to_case_with_no_department_last(org):
    program = make_program(org, slug="departments", weeks=1)
    for n, department in enumerate(["oppvekst", "", "Helse", "Administrasjon"]):
        user = make_person(f"d{n}@fjordvik.example", org=org, role="participant")
        Membership.objects.filter(user=user).update(department=department)
        Enrollment.objects.create(user=user, program=program, enrolled_at=at(1))
    with time_machine.travel(at(1, 3), tick=False), translation.override("en"):
        services.figures_current(program=program)
        rows = selectors.by_department(program=program, weeks=[1], color="#000000")
    assert [r.label for r in rows] == ["Administrasjon", "Helse", "oppvekst", "No department"]
