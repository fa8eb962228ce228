"""The dashboard pages: who may open them, what they show, exports, and their query counts."""

import csv
import datetime as dt
import io
import uuid

import pytest
from django.core import mail
from openpyxl import load_workbook

from pocketmentor.audit.models import Entry as AuditEntry
from pocketmentor.conftest import OSLO, START, answer, enroll, make_person, make_unit, signed_in
from pocketmentor.insights import services
from pocketmentor.insights.models import Engagement, ProgramInsight
from pocketmentor.learning.services import response_record

BASE = "/studio/fjordvik/p/lead/insights/"
PAGES = ["", "print/", "brief/"]
EXPORTS = ["export/figures.csv", "export/figures.xlsx", "export/participants.csv",
           "export/participants.xlsx"]  # fmt: skip


@pytest.mark.parametrize("suffix", PAGES + EXPORTS)
def test_outsiders_and_participants_get_404(outsider, ann, suffix):
    for person in (outsider, ann):
        assert signed_in(person).get(BASE + suffix).status_code == 404
    assert signed_in(outsider).get("/studio/other/p/lead/insights/").status_code == 404


@pytest.mark.parametrize("suffix", PAGES)
def test_facilitators_and_admins_see_the_pages(facilitator, admin_user, ann, suffix):
    for person in (facilitator, admin_user):
        assert signed_in(person).get(BASE + suffix).status_code == 200


@pytest.mark.parametrize("suffix", EXPORTS)
def test_only_admins_export(facilitator, admin_user, ann, suffix):
    assert signed_in(facilitator).get(BASE + suffix).status_code == 404
    response = signed_in(admin_user).get(BASE + suffix)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="lead-')


def test_unknown_exports_are_404(admin_user, program):
    assert signed_in(admin_user).get(BASE + "export/people.csv").status_code == 404
    assert signed_in(admin_user).get(BASE + "export/figures.pdf").status_code == 404


def test_the_dashboard_shows_the_figure_chart_and_breakdowns(admin_user, ann, bob, program):
    task = program.units.get(number=2).activities.get(kind="task")
    response_record(enrollment=ann.enrollments.get(), activity=task, key=uuid.uuid4())
    client = signed_in(admin_user)
    client.post("/language/", {"language": "en"})
    page = client.get(BASE).content.decode()
    assert "This week so far" in page and "50%" in page and "1 of 2 active" in page
    assert '<svg viewBox="0 0 360 200" role="img"' in page
    assert "week 1: 0%, week 2: 50%" in page  # the chart's description
    assert "By department" in page and "By group" in page and ">A</th>" in page
    assert "Week by week: from opening to reflecting" in page


def test_after_the_start_moved_the_dashboard_says_the_figures_wait_and_rebuilds_nothing(
    admin_user, ann, program
):
    task = program.units.get(number=2).activities.get(kind="task")
    response_record(enrollment=ann.enrollments.get(), activity=task, key=uuid.uuid4())
    client = signed_in(admin_user)
    client.get(BASE)
    before = ProgramInsight.objects.get(program=program)
    program.start_date -= dt.timedelta(days=7)
    program.save()
    page = client.get(BASE).content.decode()
    assert "Programmets start er flyttet" in page
    after = ProgramInsight.objects.get(program=program)
    assert (after.schedule, after.refreshed_at) == (before.schedule, before.refreshed_at)
    services.figures_current(program=program, rebuild=True)  # the worker's next minute
    assert "Programmets start er flyttet" not in client.get(BASE).content.decode()


def test_the_dashboard_is_in_norwegian_for_norwegian_staff(admin_user, ann, program):
    page = signed_in(admin_user).get(BASE).content.decode()
    assert "Ukentlig aktiv engasjementsgrad" in page and "I faresonen" in page


def test_a_program_nobody_takes_part_in_does_not_say_everyone_is_active(admin_user, program):
    page = signed_in(admin_user).get(BASE).content.decode()
    assert "Ingen er med i programmet ennå" in page
    assert "Ingen er i faresonen" not in page


def test_nobody_at_risk_when_everyone_did_something_lately(admin_user, ann, program):
    answer(ann.enrollments.get(), program.units.get(number=2).activities.first())
    services.rollups_rebuild(program=program)
    page = signed_in(admin_user).get(BASE).content.decode()
    assert "Ingen er i faresonen: ingen har vært stille i to uker eller mer." in page


def test_the_program_page_links_to_the_dashboard(facilitator, program):
    page = signed_in(facilitator).get("/studio/fjordvik/p/lead/").content.decode()
    assert f'href="{BASE}"' in page


def test_the_printable_view_has_no_forms(admin_user, ann, program):
    page = signed_in(admin_user).get(BASE + "print/").content.decode()
    assert 'class="printable"' in page and "insights/remind" not in page
    assert "/insights/counting/" not in page


def test_exports_hold_figures_and_activity_but_never_private_writing(admin_user, ann, bob, program):
    enrollment = ann.enrollments.get()
    for activity in program.units.get(number=2).activities.all():
        answer(enrollment, activity, text="My private reflection", value=2)
    services.records_backfill(program=program)
    services.rollups_rebuild(program=program)
    client = signed_in(admin_user)
    text = b"".join(client.get(BASE + "export/participants.csv").streaming_content).decode()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["Navn", "E-post"] and rows[0][-2:] == ["Uke 1", "Uke 2"]
    ann_row = next(r for r in rows if r[1] == "ann@fjordvik.example")
    assert ann_row[6:8] == ["4", "1"] and ann_row[-1] == "1"
    figures = b"".join(client.get(BASE + "export/figures.csv").streaming_content).decode()
    assert "Leading;2;2;1;50,0" in figures  # as Norwegian Excel reads it
    assert ann_row[8] == "2026-03-11 12:00+01:00"  # local, with the offset
    assert rows[0][8] == "Siste aktivitet (Europe/Oslo)"
    for name in ("figures", "participants"):
        book = load_workbook(io.BytesIO(client.get(BASE + f"export/{name}.xlsx").content))
        cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row]
        assert "My private reflection" not in " ".join(cells)
        assert "My private reflection" not in figures + text


def test_exports_in_english_use_commas_and_decimal_points(admin_user, ann, program):
    admin_user.language = "en"
    admin_user.save()
    services.rollups_rebuild(program=program)
    figures = signed_in(admin_user).get(BASE + "export/figures.csv")
    assert "Program,Leading,2,1,0,0.0" in b"".join(figures.streaming_content).decode()


def test_a_name_that_looks_like_a_formula_is_exported_as_text(admin_user, org, program):
    user = make_person("=cmd@fjordvik.example", org=org, role="participant")
    user.name = "=HYPERLINK(1)"
    user.save()
    enroll(user, program)
    text = b"".join(signed_in(admin_user).get(BASE + "export/participants.csv").streaming_content)
    assert "'=HYPERLINK(1)" in text.decode()


def test_choosing_what_counts(facilitator, ann, program):
    client = signed_in(facilitator)
    response = client.post(BASE + "counting/", {"kinds": ["reflection", "task"]})
    assert response.status_code == 302
    assert ProgramInsight.objects.get(program=program).kinds == ["reflection", "task"]
    client.post(BASE + "counting/", {})
    assert ProgramInsight.objects.get(program=program).kinds == ["reflection", "task"]


def test_the_one_click_reminder(facilitator, ann, bob, program, django_capture_on_commit_callbacks):
    client = signed_in(facilitator)
    url = BASE + f"remind/{ann.enrollments.get().pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"risk": "1"})["Location"] == BASE + "?risk=1#at-risk"
        client.post(url)
    reminded = Engagement.objects.get(enrollment__user=ann).reminded_at
    assert reminded is not None and mail.outbox == []  # sent as a nudge (nudges/tests)
    assert AuditEntry.objects.filter(action="reminder", person=ann).count() == 1
    assert signed_in(facilitator).get(url).status_code == 405
    assert client.post(BASE + "remind/999999/").status_code == 404


def test_the_dashboard_runs_the_same_queries_whatever_the_size(
    admin_user, org, program, groups, django_assert_num_queries
):
    def grow(start: int):
        idle = make_person(f"idle{start}@fjordvik.example", org=org, role="participant")
        enroll(idle, program).__class__.objects.filter(user=idle).update(enrolled_at=LONG_AGO)
        for n in range(start, start + 15):
            user = make_person(f"p{n}@fjordvik.example", org=org, role="participant")
            enrollment = enroll(user, program, groups[n % 2])
            for activity in program.units.get(number=1).activities.all():
                answer(enrollment, activity, text="x", value=3 if activity.kind == "poll" else None)

    client = signed_in(admin_user)
    grow(0)
    services.rollups_rebuild(program=program)
    client.get(BASE)
    with django_assert_num_queries(QUERIES):
        assert client.get(BASE).status_code == 200
    grow(100)
    make_unit(program, 4)
    services.rollups_rebuild(program=program)
    with django_assert_num_queries(QUERIES):
        assert client.get(BASE).status_code == 200


# session, user, membership and program (the staff page), figure state, weekly figures,
# departments, groups (3), funnels, polls (3), tallies, people at risk (2), the workers'
# last round (the admin's warning when messages are not going out), the reflection themes
QUERIES = 19  # the session with its person is one of them; the key points to recall (none)
LONG_AGO = dt.datetime.combine(START, dt.time(12), tzinfo=OSLO) - dt.timedelta(days=30)


def test_a_table_too_large_for_excel_is_offered_as_csv(admin_user, ann, program, monkeypatch):
    from pocketmentor.insights import exports

    monkeypatch.setattr(exports, "XLSX_CELLS", 5)
    client = signed_in(admin_user)
    response = client.get(BASE + "export/participants.xlsx")
    assert response.status_code == 302 and response["Location"] == BASE
    assert "CSV" in client.get(BASE).content.decode()
    assert client.get(BASE + "export/participants.csv").status_code == 200
