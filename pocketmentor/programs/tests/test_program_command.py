"""`pocketmentor program export|import`, run as call_command."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pocketmentor.conftest import answer
from pocketmentor.programs.importer import read_program
from pocketmentor.programs.models import Program
from pocketmentor.programs.services import LIBRARY


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("program", *args, stdout=out)
    return out.getvalue()


def test_export_writes_the_folder(program, tmp_path):
    output = run("export", "fjordvik", "lead", str(tmp_path / "lead"))
    assert output == f"Exported lead (3 units) to {tmp_path / 'lead'}.\n"
    assert len(read_program(tmp_path / "lead").units) == 3


def test_export_and_import_a_zip(program, tmp_path, outsider):
    run("export", "fjordvik", "lead", str(tmp_path / "lead.zip"))
    output = run("import", "other", str(tmp_path / "lead.zip"))
    assert output.startswith("Updated program lead in other: Leading (live, ")


def test_import_creates_and_tells_what_it_did(org):
    folder = LIBRARY / "leadership" / "en"
    output = run("import", "fjordvik", str(folder), "--start-date", "2026-01-05",
                 "--publish", "--live")  # fmt: skip
    assert output.splitlines() == [
        "Created program leadership in fjordvik: Leadership between seminars "
        "(live, week 1 starts 2026-01-05).",
        "  8 units added",
        "  8 units published",
        "  32 activities added",
    ]
    program = Program.objects.get(slug="leadership")
    assert program.state == "live" and program.units.published().count() == 8
    assert program.start_date == dt.date(2026, 1, 5)


def test_import_updates_and_tells_what_it_kept(program, ann, tmp_path):
    run("export", "fjordvik", "lead", str(tmp_path))
    answer(ann.enrollments.get(), program.units.get(number=3).activities.first(), text="Mine")
    (tmp_path / "unit-02.md").unlink()
    (tmp_path / "unit-03.md").unlink()
    output = run("import", "fjordvik", str(tmp_path))
    assert output.splitlines() == [
        "Updated program lead in fjordvik: Leading (live, week 1 starts 2026-03-02).",
        "  1 unit unchanged",
        "  4 activities unchanged",
        "  units deleted: 2",
        "  units not in the folder, unpublished and kept for their answers: 3",
    ]


def test_importing_an_export_again_reports_every_unit_unchanged(program, tmp_path):
    run("export", "fjordvik", "lead", str(tmp_path))
    assert run("import", "fjordvik", str(tmp_path)).splitlines()[1:] == [
        "  3 units unchanged",
        "  12 activities unchanged",
    ]
    unit = tmp_path / "unit-02.md"
    text = unit.read_text().replace("Week 2 challenge", "Week 2, reworded")
    unit.write_text(text.replace("Not quite.", "Not quite; ask first."))
    assert run("import", "fjordvik", str(tmp_path)).splitlines()[1:] == [
        "  1 unit updated",
        "  2 units unchanged",
        "  1 activity updated",
        "  11 activities unchanged",
    ]
    assert program.units.get(number=2).title == "Week 2, reworded"


def test_a_refused_folder_lists_every_problem_one_per_line(org, tmp_path):
    (tmp_path / "program.yaml").write_text("title: X\nslug: x\nlanguage: xx\n")
    (tmp_path / "unit-01.md").write_text("---\ntitel: One\n---\n+++ slide\nText\n")
    with pytest.raises(CommandError) as refused:
        run("import", "fjordvik", str(tmp_path))
    assert str(refused.value).splitlines() == [
        f"{tmp_path} was not imported; nothing changed. Problems:",
        "program.yaml line 3: language must be one of en, nb",
        "unit-01.md line 2: unknown key 'titel'",
        "unit-01.md line 2: missing title",
        "unit-01.md line 4: unknown card kind 'slide' (quote, image or video)",
    ]
    assert not Program.objects.exists()


def test_a_refused_zip_says_why(org, tmp_path):
    (tmp_path / "upload.zip").write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="This file is not a zip file."):
        run("import", "fjordvik", str(tmp_path / "upload.zip"))


def test_unknown_organization_and_program(org, program, tmp_path):
    with pytest.raises(CommandError, match="No organization 'nowhere'. Organizations: fjordvik."):
        run("export", "nowhere", "lead", str(tmp_path))
    with pytest.raises(CommandError, match="fjordvik has no program 'x'. Its programs: lead."):
        run("export", "fjordvik", "x", str(tmp_path))
    with pytest.raises(CommandError, match="No organization 'nowhere'"):
        run("import", "nowhere", str(tmp_path))


def test_a_bad_start_date_is_refused_before_anything_runs(org):
    with pytest.raises(CommandError, match="is not a date like 2026-01-05"):
        run("import", "fjordvik", str(LIBRARY / "leadership" / "en"), "--start-date", "5/1/2026")
    with pytest.raises(CommandError):
        run("transmogrify", "fjordvik")


def test_a_missing_folder_is_named(org, tmp_path):
    with pytest.raises(CommandError, match="nowhere: not a folder"):
        run("import", "fjordvik", str(Path(tmp_path) / "nowhere"))
