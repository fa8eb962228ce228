"""The people pages: preview, confirm, the list, deactivation, and who may open them."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pocketmentor.accounts.models import Session
from pocketmentor.accounts.services import login_link_url
from pocketmentor.conftest import NOW, answer, enroll, make_person, signed_in
from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.nudges.worker import Worker, run_tasks
from pocketmentor.orgs.models import Membership, Organization, WaitingFile
from pocketmentor.people.models import PeopleFileJob
from pocketmentor.people.tests.test_people_file import xlsx_bytes
from pocketmentor.tests.test_upload_bounds import BOMBS

PEOPLE = "/studio/fjordvik/people/"
IMPORT = "/studio/fjordvik/p/lead/people/import/"
CONFIRM = IMPORT + "confirm/"
INVITE = "/studio/fjordvik/p/lead/people/invite/"
CSV = (
    "navn;e-post;avdeling;gruppe\n"
    "Kari Nordmann;kari@fjordvik.example;Oppvekst;Gruppe 1\n"
    "Ola Hansen;ola@fjordvik;Teknisk;Gruppe 1\n"
    "Ann;ann@fjordvik.example;Helse;A\n"
)


def upload(client, text=CSV, name="deltakere.csv"):
    """Upload a file, let a worker read it, and open its page."""
    sent = client.post(IMPORT, {"file": SimpleUploadedFile(name, text.encode("utf-8-sig"))})
    assert sent.status_code == 302
    run_tasks(name="test")
    return client.get(sent["Location"])


def digest(response) -> str:
    return re.search(r'name="digest" value="(\w+)"', response.content.decode())[1]


@pytest.fixture
def hr(admin_user):
    return signed_in(admin_user)


def test_the_preview_shows_every_rows_outcome_and_changes_nothing(hr, ann):
    Membership.objects.filter(user=ann).update(department="Oppvekst")
    response = upload(hr)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sjekk importen" in page
    assert "Disse gruppene er nye og blir opprettet: Gruppe 1" in page
    assert "«ola@fjordvik» er ikke en gyldig e-postadresse." in page
    assert "1 rad blir avvist" in page and "1 person blir lagt til" in page
    assert "Avdeling: Oppvekst → Helse" in page  # Ann's department
    assert not Membership.objects.filter(user__email="kari@fjordvik.example").exists()


def test_confirm_imports_invites_and_a_replay_changes_nothing(
    hr, ann, django_capture_on_commit_callbacks, mailoutbox
):
    preview = upload(hr)
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(CONFIRM, {"digest": digest(preview), "invite": "1"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [(PEOPLE, 302)]
    assert "Importen er ferdig: 1 person lagt til, 1 oppdatert, 0 uendret, 1 rad avvist." in page
    assert "2 invitasjoner er på vei." in page
    assert sorted(m.to[0] for m in mailoutbox) == ["ann@fjordvik.example", "kari@fjordvik.example"]
    assert ann.memberships.get().department == "Helse"
    kari = Enrollment.objects.get(user__email="kari@fjordvik.example")
    assert kari.group.name == "Gruppe 1" and kari.program.slug == "lead"

    with django_capture_on_commit_callbacks(execute=True):
        replay = hr.post(CONFIRM, {"digest": digest(preview), "invite": "1"}, follow=True)
    assert replay.redirect_chain == [(IMPORT, 302)]
    assert "Det er ingen forhåndsvisning å bekrefte" in replay.content.decode()
    assert len(mailoutbox) == 2 and Enrollment.objects.count() == 2


def test_confirm_checks_the_file_again(hr, program, django_capture_on_commit_callbacks):
    preview = upload(hr, "navn;e-post\nKari;kari@fjordvik.example\n")
    make_person("kari@fjordvik.example", org=program.organization, role="facilitator")
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(CONFIRM, {"digest": digest(preview)}, follow=True)
    assert "0 personer lagt til, 0 oppdatert, 0 uendret, 1 rad avvist" in response.content.decode()
    assert not Enrollment.objects.filter(user__email="kari@fjordvik.example").exists()


def test_a_file_waits_beside_the_session_and_is_forgotten_after_a_day(hr, program):
    preview = upload(hr)
    session = Session.objects.get()
    assert len(session.session_data) < 1000  # the file is not in it: every request reads it
    with time_machine.travel(NOW + dt.timedelta(days=1, minutes=1)):
        Worker(name="one").round(plan=True)
    response = hr.post(CONFIRM, {"digest": digest(preview)})
    assert response["Location"] == IMPORT
    assert not Membership.objects.filter(role="participant").exists()


def test_a_previewed_file_waits_in_the_database_so_any_server_takes_the_confirm(
    hr, program, settings, tmp_path
):
    settings.DATA_DIR = tmp_path  # a server's own folder: nothing may wait there
    preview = upload(hr)
    # Read: its rows wait for the confirm, the file itself is gone.
    assert PeopleFileJob.objects.get().state == "ready" and not WaitingFile.objects.exists()
    assert not list(tmp_path.iterdir())
    hr.post(CONFIRM, {"digest": digest(preview)})
    assert Membership.objects.filter(role="participant").exists()
    assert not PeopleFileJob.objects.exists()


def test_the_upload_is_read_by_a_worker_while_its_page_says_so(hr, program):
    sent = hr.post(IMPORT, {"file": SimpleUploadedFile("folk.csv", CSV.encode())})
    job = PeopleFileJob.objects.get()
    assert sent["Location"] == f"{IMPORT}{job.pk}/" and job.state == "reading"
    waiting = hr.get(sent["Location"])
    page = waiting.content.decode()
    assert waiting.status_code == 200 and "Leser filen" in page
    assert f'hx-get="{IMPORT}{job.pk}/" hx-trigger="every 2s"' in page  # htmx asks again
    assert f'href="{IMPORT}{job.pk}/"' in page  # and without JavaScript, a link does
    assert hr.get(sent["Location"], headers={"HX-Request": "true"}).status_code == 204
    assert not Membership.objects.filter(user__email="kari@fjordvik.example").exists()

    assert run_tasks(name="test") == 1
    polled = hr.get(sent["Location"], headers={"HX-Request": "true"})
    assert polled["HX-Refresh"] == "true"  # read: the page loads again, as the preview
    assert "2 personer blir lagt til" in hr.get(sent["Location"]).content.decode()
    assert run_tasks(name="test") == 0  # nothing read twice


def test_a_file_that_waited_a_minute_unread_says_the_worker_may_be_down(hr, program):
    sent = hr.post(IMPORT, {"file": SimpleUploadedFile("folk.csv", CSV.encode())})
    with time_machine.travel(NOW + dt.timedelta(minutes=2)):
        page = hr.get(sent["Location"]).content.decode()
    assert "pocketmentor worker" in page


def test_another_organization_cannot_see_the_upload(hr, program, outsider):
    sent = hr.post(IMPORT, {"file": SimpleUploadedFile("folk.csv", CSV.encode())})
    run_tasks(name="test")
    job = PeopleFileJob.objects.get()
    other = Organization.objects.get(slug="other")
    their_admin = signed_in(make_person("hr@other.example", org=other, role="admin"))
    assert their_admin.get(f"/studio/other/p/lead/people/import/{job.pk}/").status_code == 404
    assert their_admin.get(sent["Location"]).status_code == 404  # not their organization
    # Nor can another admin's session confirm it, here or there.
    colleague = signed_in(
        make_person("hr2@fjordvik.example", org=program.organization, role="admin")
    )
    assert colleague.post(CONFIRM, {"digest": job.pk.hex})["Location"] == IMPORT
    their_admin.post("/studio/other/p/lead/people/import/confirm/", {"digest": job.pk.hex})
    assert PeopleFileJob.objects.filter(pk=job.pk).exists()
    assert not Membership.objects.filter(user__email="kari@fjordvik.example").exists()


def test_only_the_last_previewed_file_is_confirmed(hr, program):
    first = upload(hr)
    upload(hr, "navn;e-post\nPer;per@fjordvik.example\n")
    response = hr.post(CONFIRM, {"digest": digest(first)})
    assert response["Location"] == IMPORT
    assert not Membership.objects.filter(role="participant").exists()


def test_an_excel_workbook_is_previewed_like_a_csv(hr, program):
    data = xlsx_bytes(["Navn", "E-post", "Gruppe"], [["Kari", "kari@fjordvik.example", "A"]])
    sent = hr.post(IMPORT, {"file": SimpleUploadedFile("folk.xlsx", data)})
    run_tasks(name="test")
    assert "1 person blir lagt til" in hr.get(sent["Location"]).content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("e-post;avdeling\nkari@x.example;Oppvekst\n", "Mangler: navn."),
        ("", "Filen er tom."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_what_to_do(hr, program, text, message):
    response = upload(hr, text)
    page = response.content.decode()
    assert message in page and "deltakere.csv kan ikke importeres" in page
    assert 'role="alert"' in page and 'type="file"' in page  # and another can be uploaded
    assert f'action="{IMPORT}"' in page


def test_a_spreadsheet_bomb_is_refused_on_its_page_in_the_admins_language(hr, program):
    bomb = BOMBS["three million shared strings"]()
    sent = hr.post(IMPORT, {"file": SimpleUploadedFile("bombe.xlsx", bomb)})
    assert sent.status_code == 302  # the request only keeps the file
    run_tasks(name="test")
    page = hr.get(sent["Location"]).content.decode()
    assert "bombe.xlsx kan ikke importeres:" in page
    assert "Filen inneholder langt mer enn en liste over personer" in page
    assert PeopleFileJob.objects.get().state == "refused" and not WaitingFile.objects.exists()
    assert hr.post(CONFIRM, {"digest": PeopleFileJob.objects.get().pk.hex})["Location"] == IMPORT


def test_no_file_is_refused_with_what_to_do(hr, program):
    response = hr.post(IMPORT, {})
    assert response.status_code == 400
    assert "Velg en CSV- eller Excel-fil" in response.content.decode()


def test_script_in_a_name_department_or_group_is_shown_as_text(
    hr, program, django_capture_on_commit_callbacks
):
    evil = "<script>alert(1)</script>"
    preview = upload(hr, f"navn;e-post;avdeling;gruppe\n{evil};x@fjordvik.example;{evil};{evil}\n")
    page = preview.content.decode()
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with django_capture_on_commit_callbacks(execute=True):
        hr.post(CONFIRM, {"digest": digest(preview)})
    page = hr.get(PEOPLE).content.decode()
    assert evil not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3


def test_the_people_page_lists_everyone_with_what_admins_need(hr, ann, bob, facilitator):
    Membership.objects.filter(user=ann).update(department="Oppvekst")
    hr.force_login(ann)  # Ann signs in once; her last sign-in shows
    hr.force_login(Membership.objects.get(role="admin").user)
    page = hr.get(PEOPLE).content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    ann_row = next(row for row in rows if "ann@fjordvik.example" in row)
    assert "Deltaker" in ann_row and "Oppvekst" in ann_row and ">A<" in ann_row
    assert "Ikke ennå" in ann_row and "Aldri" not in ann_row and "Ja" in ann_row
    bob_row = next(row for row in rows if "bob@fjordvik.example" in row)
    assert "Aldri" in bob_row
    assert "Tilrettelegger" in page and "Administrator" in page
    assert "4 personer" in page
    assert "Inviter de 2 deltakerne i Leading som ikke er invitert ennå" in page


def test_only_people_who_never_signed_in_can_be_invited_from_their_row(hr, ann, bob, org):
    Membership.objects.filter(user=bob).update(invited_at=NOW)
    cai = make_person("cai@fjordvik.example", org=org, role="participant")
    Membership.objects.filter(user=cai).update(invited_at=NOW)
    hr.force_login(ann)  # Ann signs in: she needs no invitation
    hr.force_login(cai)  # nor does Cai, invited once and signed in since
    hr.force_login(Membership.objects.get(role="admin").user)
    page = hr.get(PEOPLE).content.decode()
    rows = {
        email: row
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        for email in ("ann", "bob", "cai")
        if f"{email}@fjordvik.example" in row
    }
    assert "/invite/" not in rows["ann"] and "/invite/" not in rows["cai"]
    assert "Deaktiver" in rows["ann"] and "Deaktiver" in rows["cai"]
    assert "Inviter igjen" in rows["bob"]  # invited, never signed in: the invitation pends
    hr.post("/language/", {"language": "en"})
    page = hr.get(PEOPLE).content.decode()
    assert page.count("Invite again") == 1


def test_search_finds_by_name_or_address_and_keeps_what_was_typed(hr, ann, bob):
    page = hr.get(PEOPLE, {"q": "BOB@"}).content.decode()
    assert "bob@fjordvik.example" in page and "ann@fjordvik.example" not in page
    assert 'value="BOB@"' in page
    page = hr.get(PEOPLE, {"q": "nobody"}).content.decode()
    assert "Ingen passer til søket" in page


def test_fifty_people_a_page(hr, org, program, django_assert_max_num_queries):
    for n in range(60):
        enroll(make_person(f"p{n:02d}@fjordvik.example", org=org, role="participant"), program)
    with django_assert_max_num_queries(9):
        first = hr.get(PEOPLE).content.decode()
    listed = re.compile(r'<span class="muted">[\w.]+@fjordvik.example</span>')
    assert len(listed.findall(first)) == 50 and "Side 1 av 2" in first
    second = hr.get(PEOPLE, {"page": 2}).content.decode()
    assert len(listed.findall(second)) == 11  # 60 and the admin


def test_facilitators_see_the_list_but_no_admin_buttons(facilitator, ann):
    page = signed_in(facilitator).get(PEOPLE).content.decode()
    assert "ann@fjordvik.example" in page
    assert "Deaktiver" not in page and "Importer deltakere" not in page


def test_the_studio_links_to_people_and_admins_to_the_import(hr, facilitator, program):
    assert 'href="/studio/fjordvik/people/"' in hr.get("/studio/fjordvik/").content.decode()
    program_page = "/studio/fjordvik/p/lead/"
    assert f'href="{IMPORT}"' in hr.get(program_page).content.decode()
    assert f'href="{IMPORT}"' not in signed_in(facilitator).get(program_page).content.decode()
    assert "Importer deltakere" in hr.get(IMPORT).content.decode()


def test_deactivation_blocks_sign_in_keeps_history_and_can_be_undone(hr, ann, program):
    membership = ann.memberships.get()
    answer(ann.enrollments.get(), program.units.get(number=1).activities.first(), text="Mine")
    phone = signed_in(ann)
    link = login_link_url(user=ann).removeprefix("http://127.0.0.1:8000")
    response = hr.post(f"{PEOPLE}{membership.pk}/deactivate/", {"q": "ann"}, follow=True)
    assert response.redirect_chain == [(f"{PEOPLE}?q=ann", 302)]
    assert "Ann er deaktivert" in response.content.decode()
    ann.refresh_from_db()
    assert not ann.is_active and not ann.enrollments.get().is_active
    assert Response.objects.filter(enrollment__user=ann).count() == 1  # history stays
    assert Client().get(link).status_code == 410  # the link no longer signs in
    assert phone.get("/o/fjordvik/lead/").status_code == 302  # signed out on the phone

    hr.post(f"{PEOPLE}{membership.pk}/reactivate/")
    ann.refresh_from_db()
    assert ann.is_active and ann.enrollments.get().is_active
    fresh = Client()
    fresh.post("/login/", {"t": login_link_url(user=ann).split("t=")[1]})
    assert fresh.get("/o/fjordvik/lead/").status_code == 200


def test_a_link_made_before_a_deactivation_stays_dead_after_reactivation(hr, ann):
    membership = ann.memberships.get()
    before = login_link_url(user=ann).split("t=")[1]
    hr.post(f"{PEOPLE}{membership.pk}/deactivate/")
    hr.post(f"{PEOPLE}{membership.pk}/reactivate/")
    ann.refresh_from_db()
    assert ann.is_active
    stale = Client()
    assert stale.post("/login/", {"t": before}).status_code == 410
    assert "_auth_user_id" not in stale.session
    fresh = Client()  # a link made after the reactivation works
    assert fresh.post("/login/", {"t": login_link_url(user=ann).split("t=")[1]}).status_code == 302


def test_someone_still_active_elsewhere_keeps_signing_in_there(hr, ann, outsider, org):
    other = outsider.memberships.get().organization
    Membership.objects.create(organization=other, user=ann, role="participant")
    enroll(ann, other.programs.get())
    hr.post(f"{PEOPLE}{ann.memberships.get(organization=org).pk}/deactivate/")
    ann.refresh_from_db()
    assert ann.is_active
    client = signed_in(ann)
    assert client.get("/o/fjordvik/lead/").status_code == 404
    assert client.get("/o/other/lead/").status_code == 200


def test_staff_cannot_be_deactivated_here(hr, facilitator):
    membership = facilitator.memberships.get()
    assert hr.post(f"{PEOPLE}{membership.pk}/deactivate/").status_code == 404
    facilitator.refresh_from_db()
    assert facilitator.is_active


# Who may do what


def admin_only_posts(ann):
    person = f"{PEOPLE}{ann.memberships.get().pk}/"
    return [
        (IMPORT, {"file": SimpleUploadedFile("p.csv", CSV.encode())}),
        (CONFIRM, {"digest": "x"}),
        (INVITE, {}),
        (f"{person}invite/", {}),
        (f"{person}deactivate/", {}),
        (f"{person}reactivate/", {}),
    ]


@pytest.mark.parametrize("who", ["outsider", "ann", "facilitator"])
def test_only_admins_change_people(request, who, ann, admin_user, mailoutbox):
    client = signed_in(request.getfixturevalue(who))
    memberships = Membership.objects.count()
    for url, data in admin_only_posts(ann):
        assert client.post(url, data).status_code == 404, url
    assert client.get(IMPORT).status_code == 404
    assert client.get(INVITE).status_code == 404
    ann.refresh_from_db()
    assert ann.is_active and ann.memberships.get().invited_at is None and mailoutbox == []
    assert Membership.objects.count() == memberships


@pytest.mark.parametrize("who", ["outsider", "ann"])
def test_only_staff_see_the_people_page(request, who, ann):
    assert signed_in(request.getfixturevalue(who)).get(PEOPLE).status_code == 404


def test_an_admin_of_another_organization_cannot_touch_people_here(ann, outsider):
    other = outsider.memberships.get().organization
    other_admin = make_person("hr@other.example", org=other, role="admin")
    client = signed_in(other_admin)
    for url, data in admin_only_posts(ann):
        assert client.post(url, data).status_code == 404, url
    # Their own studio cannot reach Ann either.
    url = f"/studio/other/people/{ann.memberships.get().pk}/deactivate/"
    assert client.post(url).status_code == 404


def test_strangers_are_sent_to_sign_in(program):
    for url in (PEOPLE, IMPORT):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/new/")


def test_wrong_methods_are_refused(hr, ann):
    person = f"{PEOPLE}{ann.memberships.get().pk}/"
    for url in (CONFIRM, f"{person}invite/", f"{person}deactivate/"):
        assert hr.get(url).status_code == 405, url
    assert hr.put(INVITE).status_code == 405
    assert hr.put(IMPORT).status_code == 405
    assert hr.post(PEOPLE).status_code == 405


def test_a_draft_program_does_not_invite_unless_asked(hr, program):
    program.state = "draft"
    program.save()
    page = upload(hr).content.decode()
    assert "Programmet er et utkast" in page
    assert 'name="invite" value="1">' in page  # not ticked


def test_the_people_pager_keeps_the_search_on_every_page(admin_user, org, monkeypatch):
    monkeypatch.setattr("pocketmentor.people.selectors.PAGE_SIZE", 2)
    for n in range(3):
        make_person(f"kari{n}@fjordvik.example", org=org, role="participant")
    page = signed_in(admin_user).get("/studio/fjordvik/people/", {"q": "kari"}).content.decode()
    assert 'href="?q=kari&amp;page=2">Neste →</a>' in page
    assert "Side 1 av 2" in page
