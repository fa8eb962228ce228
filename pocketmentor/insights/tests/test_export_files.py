"""Large Excel exports: asked for in the studio, made by a worker, downloaded by their requester
only, deleted a day later."""

import datetime as dt
import io
import os

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import load_workbook

from pocketmentor.audit.models import Entry as AuditEntry
from pocketmentor.conftest import NOW, enroll, make_person, make_program, signed_in
from pocketmentor.insights import exports
from pocketmentor.insights.models import ExportFile
from pocketmentor.insights.tests.test_views import BASE
from pocketmentor.nudges.worker import run_tasks
from pocketmentor.orgs.models import Organization


@pytest.fixture
def large(monkeypatch):
    """Every Excel export counts as large: a worker makes it."""
    monkeypatch.setattr(exports, "XLSX_IN_REQUEST", 0)


def ask(client, table: str = "participants"):
    response = client.get(BASE + f"export/{table}.xlsx")
    assert response.status_code == 302
    job = ExportFile.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert response["Location"] == BASE + f"export/{job.pk}/"
    return job


def test_a_large_excel_file_is_made_by_a_worker_and_downloaded_when_ready(
    large, admin_user, ann, bob, program
):
    client = signed_in(admin_user)
    client.post("/language/", {"language": "en"})
    job = ask(client)
    page = client.get(BASE + f"export/{job.pk}/").content.decode()
    assert "Preparing the Excel file" in page and "prepared in the background" in page
    assert f'href="{BASE}export/{job.pk}/"' in page  # a link to look again, without JavaScript
    assert f'hx-get="{BASE}export/{job.pk}/" hx-trigger="every 3s"' in page  # htmx asks
    polled = client.get(BASE + f"export/{job.pk}/", headers={"HX-Request": "true"})
    assert polled.status_code == 204  # nothing new yet
    assert client.get(BASE + f"export/{job.pk}/download/").status_code == 404  # not yet
    assert AuditEntry.objects.filter(target__endswith="participants-2026-03-11.xlsx").count() == 1

    assert run_tasks(name="test") == 1
    job.refresh_from_db()
    assert job.state == ExportFile.State.READY and job.rows == 2
    page = client.get(BASE + f"export/{job.pk}/").content.decode()
    assert "The Excel file is ready" in page and "It holds 2 rows" in page
    assert "hx-get" not in page
    polled = client.get(BASE + f"export/{job.pk}/", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and polled["HX-Refresh"] == "true"  # htmx reloads the page
    download = client.get(BASE + f"export/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        'attachment; filename="lead-participants-2026-03-11.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("Name", "E-mail", "Group")  # in the requester's language
    assert sorted(r[1] for r in rows[1:]) == ["ann@fjordvik.example", "bob@fjordvik.example"]


def test_asking_again_while_it_is_prepared_starts_no_second_file(large, admin_user, ann, program):
    client = signed_in(admin_user)
    first = ask(client)
    assert ask(client) == first
    assert ExportFile.objects.count() == 1
    assert run_tasks(name="test") == 1
    assert run_tasks(name="test") == 0
    # Once it is made, asking again makes a new file with the rows of that moment.
    second = ask(client)
    assert second != first and ExportFile.objects.count() == 2
    figures = ask(client, "figures")  # another table is another file
    assert figures not in (first, second)
    # A file a worker never finished (it died) is not waited for past half an hour.
    with time_machine.travel(NOW + dt.timedelta(minutes=31)):
        assert ask(client) not in (first, second)


def test_only_its_requester_in_its_organization_reaches_the_file(
    large, admin_user, facilitator, ann, outsider, org, program
):
    job = ask(signed_in(admin_user))
    run_tasks(name="test")
    other_admin = make_person("hr2@fjordvik.example", org=org, role="admin")
    elsewhere = Organization.objects.get(slug="other")
    foreign_admin = make_person("hr@other.example", org=elsewhere, role="admin")
    for suffix in (f"export/{job.pk}/", f"export/{job.pk}/download/"):
        for person in (other_admin, facilitator, ann, outsider, foreign_admin):
            assert signed_in(person).get(BASE + suffix).status_code == 404, person
        # Not through the other organization's own program of the same name either.
        other_base = BASE.replace("fjordvik", "other")
        assert signed_in(foreign_admin).get(other_base + suffix).status_code == 404
        assert signed_in(admin_user).get(BASE + suffix).status_code == 200


def test_the_pages_speak_norwegian(large, admin_user, ann, program):
    client = signed_in(admin_user)  # the organization's language: Norwegian
    job = ask(client)
    page = client.get(BASE + f"export/{job.pk}/").content.decode()
    assert "Lager Excel-filen" in page and "lages i bakgrunnen" in page
    assert "Se etter igjen" in page
    run_tasks(name="test")
    page = client.get(BASE + f"export/{job.pk}/").content.decode()
    assert "Excel-filen er klar" in page and "Den har 1 rad." in page
    assert "Last ned lead-participants-2026-03-11.xlsx" in page
    sheet = load_workbook(
        io.BytesIO(b"".join(client.get(BASE + f"export/{job.pk}/download/").streaming_content))
    ).active
    assert next(sheet.values)[:2] == ("Navn", "E-post")


def test_a_file_waiting_a_minute_says_the_worker_may_be_down(large, admin_user, ann, program):
    client = signed_in(admin_user)
    job = ask(client)
    with time_machine.travel(NOW + dt.timedelta(minutes=2)):
        page = client.get(BASE + f"export/{job.pk}/").content.decode()
    assert "pocketmentor worker" in page


def test_a_file_that_could_not_be_made_says_so(large, admin_user, ann, program, monkeypatch):
    client = signed_in(admin_user)
    job = ask(client)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "xlsx_write", broken)
    assert exports.export_build(job_id=str(job.pk)) == ExportFile.State.FAILED
    page = client.get(BASE + f"export/{job.pk}/").content.decode()
    assert "Noe gikk galt" in page
    assert client.get(BASE + f"export/{job.pk}/download/").status_code == 404


def test_small_excel_files_are_still_made_at_once(admin_user, ann, program):
    response = signed_in(admin_user).get(BASE + "export/participants.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == exports.XLSX
    assert not ExportFile.objects.exists()


def test_files_are_deleted_a_day_after_they_were_asked_for(large, admin_user, ann, program):
    client = signed_in(admin_user)
    job = ask(client)
    run_tasks(name="test")
    job.refresh_from_db()
    assert default_storage.exists(job.file)
    # A file whose row is gone (its program deleted, say), written now by the test's clock.
    stray = default_storage.save("exports/stray.xlsx", ContentFile(b"left behind"))
    os.utime(default_storage.path(stray), (NOW.timestamp(), NOW.timestamp()))
    with time_machine.travel(NOW + dt.timedelta(hours=23)):
        assert exports.exports_prune(timezone.now()) == 0
    assert default_storage.exists(job.file) and default_storage.exists(stray)
    with time_machine.travel(NOW + dt.timedelta(hours=25)):
        assert exports.exports_prune(timezone.now()) == 2
    assert not default_storage.exists(job.file) and not default_storage.exists(stray)
    assert not ExportFile.objects.exists()
    assert client.get(BASE + f"export/{job.pk}/").status_code == 404


def test_the_prune_is_a_periodic_job_of_the_worker():
    from pocketmentor.lib.schedule import JOBS

    assert JOBS["insights.exports_prune"].every <= dt.timedelta(days=1)


def test_figures_come_in_name_order_whatever_the_chunk(admin_user, org, monkeypatch):
    from pocketmentor.insights import services
    from pocketmentor.programs.models import Group

    program = make_program(org, slug="many")
    groups = [Group.objects.create(program=program, name=f"Gruppe {n}") for n in (10, 2, 1)]
    for n, group in enumerate(groups):
        person = make_person(f"p{n}@fjordvik.example", org=org, role="participant")
        enroll(person, program, group=group)
    services.figures_refresh(program=program, full=True)
    whole = list(exports.figures_rows(program=program))
    names = [row[1] for row in whole if row[1].startswith("Gruppe ")]
    assert names[0] == "Gruppe 1" and names[-1] == "Gruppe 10"
    assert names.index("Gruppe 2") < names.index("Gruppe 10")
    monkeypatch.setattr(exports, "FIGURES_CHUNK", 1)
    assert list(exports.figures_rows(program=program)) == whole


def test_the_csv_streams_in_pieces_and_lists_people_enrolled_since_the_last_refresh(
    admin_user, ann, bob, org, program, monkeypatch
):
    from pocketmentor.insights import services
    from pocketmentor.insights.models import Engagement
    from pocketmentor.lib import spreadsheets

    client = signed_in(admin_user)
    whole = b"".join(client.get(BASE + "export/participants.csv").streaming_content)
    monkeypatch.setattr(spreadsheets, "CSV_CHUNK", 10)
    pieces = list(client.get(BASE + "export/participants.csv").streaming_content)
    assert len(pieces) == 3 and b"".join(pieces) == whole  # header, then a row each
    assert pieces[0].startswith(b"\xef\xbb\xbfNavn;E-post;")

    services.figures_refresh(program=program)
    carl = make_person("carl@fjordvik.example", org=org, role="participant")
    enroll(carl, program)
    assert not Engagement.objects.filter(enrollment__user=carl).exists()
    text = b"".join(client.get(BASE + "export/participants.csv").streaming_content).decode()
    assert "carl@fjordvik.example;" in text
    assert not Engagement.objects.filter(enrollment__user=carl).exists()  # no refresh needed
