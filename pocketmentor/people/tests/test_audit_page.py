"""The audit log page: the organization's admins see its entries, filter them, download them."""

import csv
import datetime as dt
import io

import pytest
import time_machine

from pocketmentor.audit.models import Entry
from pocketmentor.audit.services import Action, audit_record
from pocketmentor.conftest import NOW, make_person, signed_in
from pocketmentor.orgs.models import Organization

PAGE = "/studio/fjordvik/audit/"
EXPORT = PAGE + "export.csv"


@pytest.fixture
def logged(org, admin_user, ann, bob):
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        audit_record(action=Action.REMINDER, organization=org, actor=admin_user, person=ann)
    audit_record(action=Action.PERSON_EXPORT, organization=org, actor=admin_user, person=bob)
    elsewhere = Organization.objects.create(name="Elsewhere AS", slug="elsewhere")
    audit_record(action=Action.EXPORT, organization=elsewhere, target="their secret program")


def rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))  # Norwegian: semicolons


def test_admins_see_their_organizations_entries_newest_first(admin_user, logged):
    response = signed_in(admin_user).get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("bob@fjordvik.example") < page.index("ann@fjordvik.example")
    assert "Påminnelse sendt" in page and "Personens data eksportert" in page
    assert "secret program" not in page


def test_the_filters_narrow_by_action_person_and_dates(admin_user, logged):
    client = signed_in(admin_user)
    by_action = client.get(PAGE, {"action": "reminder"}).content.decode()
    assert "ann@fjordvik.example" in by_action and "bob@fjordvik.example" not in by_action
    by_person = client.get(PAGE, {"person": "BOB"}).content.decode()
    assert "bob@fjordvik.example" in by_person and "ann@fjordvik.example" not in by_person
    today = NOW.date().isoformat()
    by_date = client.get(PAGE, {"since": today, "until": today}).content.decode()
    assert "bob@fjordvik.example" in by_date and "ann@fjordvik.example" not in by_date


def test_a_bad_filter_says_what_is_wrong_and_keeps_what_was_typed(admin_user, logged):
    response = signed_in(admin_user).get(
        PAGE, {"person": "ann", "since": "2026-03-11", "until": "2026-03-01"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Sluttdatoen må være samme dag som startdatoen eller senere." in page
    assert 'value="ann"' in page and 'value="2026-03-01"' in page
    assert signed_in(admin_user).get(PAGE, {"since": "2020-13-45"}).status_code == 400


def test_the_csv_holds_the_filtered_entries_and_its_download_is_logged(admin_user, logged):
    response = signed_in(admin_user).get(EXPORT, {"action": "person_export"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="fjordvik-audit-')
    header, *lines = rows(response)
    assert header == ["Tidspunkt", "Handling", "Utført av", "Gjelder", "Klientadresse"]
    assert [line[1:4] for line in lines] == [
        ["Personens data eksportert", "hr@fjordvik.example", "bob@fjordvik.example"]
    ]
    latest = Entry.objects.filter(organization__slug="fjordvik").first()
    assert (latest.action, latest.actor) == (Action.AUDIT_EXPORT, admin_user)


def test_another_organizations_admin_gets_404(logged, outsider):
    other_admin = make_person("boss@other.example", org=Organization.objects.get(slug="other"),
                              role="admin")  # fmt: skip
    for url in (PAGE, EXPORT):
        assert signed_in(other_admin).get(url).status_code == 404
        assert signed_in(outsider).get(url).status_code == 404


def test_participants_and_facilitators_get_403(logged, ann, facilitator):
    clients = [signed_in(ann), signed_in(facilitator)]
    before = Entry.objects.count()
    for client in clients:
        for url in (PAGE, EXPORT):
            assert client.get(url).status_code == 403
    assert Entry.objects.count() == before


def test_the_page_answers_only_get(admin_user, logged):
    client = signed_in(admin_user)
    before = Entry.objects.count()
    assert client.post(PAGE).status_code == 405
    assert client.post(EXPORT).status_code == 405
    assert Entry.objects.count() == before


def test_strangers_are_sent_to_sign_in(client, logged):
    assert client.get(PAGE).status_code == 302
