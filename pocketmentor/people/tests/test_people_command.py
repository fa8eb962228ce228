"""`pocketmentor people import`, run as call_command."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pocketmentor.accounts.models import User
from pocketmentor.conftest import signed_in
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.tests.test_pages import page

FILE = (
    "name,email,department,group\n"
    "Kari Nordmann,kari@fjordvik.example,Oppvekst,Gruppe 1\n"
    "Ola,ola@fjordvik,Teknisk,Gruppe 1\n"
    "Ann,ann@fjordvik.example,Helse,A\n"
)


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("people", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(FILE, encoding="utf-8-sig")
    return path


def test_dry_run_prints_every_outcome_and_changes_nothing(ann, csv_file, mailoutbox):
    lines = run("import", "fjordvik", "lead", str(csv_file), "--dry-run", "--invite")
    assert lines == [
        "row 2 (kari@fjordvik.example): new",
        "row 3 (ola@fjordvik): refused — “ola@fjordvik” is not a valid e-mail address.",
        "row 4 (ann@fjordvik.example): updated — department: – → Helse",
        "Would create groups: Gruppe 1.",
        "Dry run for lead, nothing changed: 1 new, 1 updated, 0 unchanged, 1 refused; "
        "2 would be invited.",
    ]
    assert not User.objects.filter(email="kari@fjordvik.example").exists()
    assert ann.memberships.get().department == ""


def test_import_writes_invites_and_a_second_run_changes_nothing(
    ann, csv_file, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lines = run("import", "fjordvik", "lead", str(csv_file), "--invite")
    assert lines[-2:] == [
        "Created groups: Gruppe 1.",
        "Imported into lead: 1 new, 1 updated, 0 unchanged, 1 refused; 2 invited.",
    ]
    assert Enrollment.objects.get(user__email="kari@fjordvik.example").group.name == "Gruppe 1"
    assert len(mailoutbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        lines = run("import", "fjordvik", "lead", str(csv_file), "--invite")
    assert lines[-1] == "Imported into lead: 0 new, 0 updated, 2 unchanged, 1 refused; 0 invited."
    assert len(mailoutbox) == 2


def test_without_invite_nobody_is_mailed(program, csv_file, mailoutbox):
    run("import", "fjordvik", "lead", str(csv_file))
    assert mailoutbox == [] and User.objects.filter(email="kari@fjordvik.example").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "lead"], "No organization 'nowhere'. Organizations: fjordvik."),
        (["fjordvik", "autumn"], "fjordvik has no program 'autumn'. Its programs: lead."),
    ],
)
def test_unknown_organization_or_program(program, csv_file, args, message):
    with pytest.raises(CommandError, match=message):
        run("import", *args, str(csv_file))


def test_a_missing_or_unreadable_file_is_a_clear_error(program, tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        run("import", "fjordvik", "lead", str(tmp_path / "nope.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("e-post;avdeling\nx@y.example;Z\n")
    with pytest.raises(CommandError, match="was not imported; nothing changed. .*Missing: name."):
        run("import", "fjordvik", "lead", str(bad))


def test_an_import_from_the_command_line_shows_on_kept_pages_at_once(ann, program, tmp_path):
    client = signed_in(ann)
    assert "Gruppe 9" not in page(client, program)
    assert "Gruppe 9" not in page(client, program)  # kept by now
    path = tmp_path / "moved.csv"
    path.write_text("name,email,group\nAnn,ann@fjordvik.example,Gruppe 9\n", encoding="utf-8")
    assert run("import", "fjordvik", "lead", str(path))[-1].startswith("Imported into lead: 0 new")
    assert Enrollment.objects.get(user=ann).group.name == "Gruppe 9"
    assert "Gruppe 9" in page(client, program)
