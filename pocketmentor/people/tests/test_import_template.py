"""The import template: the importer's own columns in the person's language, and it imports."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from pocketmentor.accounts.models import User
from pocketmentor.conftest import make_person, signed_in
from pocketmentor.nudges.worker import run_tasks
from pocketmentor.people.tests.test_people_pages import CONFIRM, IMPORT, digest

TEMPLATE = IMPORT + "template."


@pytest.mark.parametrize(
    ("language", "first_line"),
    [
        ("nb", "\ufeffnavn;e-post;avdeling;gruppe;språk\r\n"),
        ("en", "\ufeffname,email,department,group,language\r\n"),
    ],
)
def test_the_csv_template_is_in_the_persons_language(admin_user, program, language, first_line):
    admin_user.language = language
    admin_user.save()
    response = signed_in(admin_user).get(TEMPLATE + "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    lines = text.splitlines(keepends=True)
    assert lines[0] == first_line and len(lines) == 3  # the header and two examples
    assert ".csv" in response["Content-Disposition"]


def test_the_xlsx_template_has_the_same_rows(admin_user, program):
    response = signed_in(admin_user).get(TEMPLATE + "xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["navn", "e-post", "avdeling", "gruppe", "språk"]
    assert len(rows) == 3 and rows[1][1] == "kari.nordmann@example.com"


@pytest.mark.parametrize(("language", "fmt"), [("nb", "csv"), ("en", "csv"), ("nb", "xlsx")])
def test_the_template_imports_back_as_is(admin_user, program, language, fmt):
    admin_user.language = language
    admin_user.save()
    hr = signed_in(admin_user)
    response = hr.get(TEMPLATE + fmt)
    data = b"".join(response.streaming_content) if fmt == "csv" else response.content
    sent = hr.post(IMPORT, {"file": SimpleUploadedFile(f"template.{fmt}", data)})
    assert sent.status_code == 302
    run_tasks(name="test")
    preview = hr.get(sent["Location"])
    assert preview.status_code == 200
    hr.post(CONFIRM, {"digest": digest(preview)})
    people = User.objects.filter(email__endswith="@example.com").order_by("email")
    assert [(p.name, p.language) for p in people] == [
        ("Amir Haddad", "en"),
        ("Kari Nordmann", "nb"),
    ]
    assert sorted(program.groups.values_list("name", flat=True)) == (
        ["Gruppe 1", "Gruppe 2"] if language == "nb" else ["Group 1", "Group 2"]
    )


def test_only_the_organizations_admins_download_it(facilitator, outsider, program):
    other_admin = make_person("hr@other.example", org=outsider.memberships.get().organization,
                              role="admin")  # fmt: skip
    for person in (facilitator, outsider, other_admin):
        assert signed_in(person).get(TEMPLATE + "csv").status_code == 404
    theirs = signed_in(other_admin).get("/studio/other/p/lead/people/import/template.pdf")
    assert theirs.status_code == 404
