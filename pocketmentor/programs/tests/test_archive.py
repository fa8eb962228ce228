"""Zipped program folders: the studio's download and upload, and what an upload may not do."""

import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.utils import translation

from pocketmentor.programs import archive
from pocketmentor.programs.archive import extract_program, program_zip
from pocketmentor.programs.exporter import program_spec
from pocketmentor.programs.importer import ProgramFolderError, read_program
from pocketmentor.programs.services import LIBRARY, program_import


@pytest.fixture(autouse=True)
def _english():
    """The messages below are the English ones; the Norwegian are tested in the studio."""
    with translation.override("en"):
        yield


PROGRAM_YAML = b"title: T\nslug: t\nlanguage: en\n"
UNIT = b"---\ntitle: One\n---\nText\n"


def zipped(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as made:
        for name, data in entries.items():
            made.writestr(name, data)
    return buffer.getvalue()


def refusal(data: bytes, into: Path) -> list[str]:
    with pytest.raises(ProgramFolderError) as refused:
        extract_program(data, into)
    return refused.value.errors


def test_program_zip_holds_the_folder_under_the_slug_and_imports_again(program, tmp_path, org):
    data = program_zip(program)
    with zipfile.ZipFile(io.BytesIO(data)) as made:
        assert made.namelist() == [
            "lead/program.yaml", "lead/unit-01.md", "lead/unit-02.md", "lead/unit-03.md",
        ]  # fmt: skip
    assert program_zip(program) == data  # the same program zips to the same bytes
    folder = extract_program(data, tmp_path)
    assert folder == tmp_path / "lead"
    assert len(read_program(folder).units) == 3
    before = program_spec(program)
    assert program_spec(program_import(organization=org, folder=folder)) == before


def test_a_zip_of_the_folder_contents_or_from_a_mac_is_found(tmp_path):
    flat = zipped({"program.yaml": PROGRAM_YAML, "unit-01.md": UNIT})
    assert extract_program(flat, tmp_path / "flat") == tmp_path / "flat"
    mac = zipped({
        "lead/": b"", "lead/program.yaml": PROGRAM_YAML, "lead/unit-01.md": UNIT,
        "__MACOSX/lead/._program.yaml": b"junk", "lead/.DS_Store": b"junk",
    })  # fmt: skip
    folder = extract_program(mac, tmp_path / "mac")
    assert folder == tmp_path / "mac" / "lead"
    assert sorted(path.name for path in folder.iterdir()) == ["program.yaml", "unit-01.md"]
    assert not (tmp_path / "mac" / "__MACOSX").exists()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    assert refusal(b"%PDF-1.7 not a zip", tmp_path) == ["This file is not a zip file."]
    assert refusal(b"", tmp_path) == ["This file is not a zip file."]


@pytest.mark.parametrize(
    "name",
    ["../evil.md", "lead/../../evil.md", "/etc/evil.md", "..\\evil.md", "C:/evil.md",
     "lead\\..\\..\\evil.md"],
)  # fmt: skip
def test_zip_slip_is_refused_and_nothing_is_written_outside(tmp_path, name):
    into = tmp_path / "into"
    data = zipped({"program.yaml": PROGRAM_YAML, name: b"owned"})
    assert refusal(data, into) == [f"{name}: a path that leads out of the program folder"]
    assert not (tmp_path / "evil.md").exists() and not into.exists()


def test_too_many_files_are_refused(tmp_path):
    entries = {f"lead/unit-{n:03d}.md": UNIT for n in range(1, 202)}
    data = zipped({"lead/program.yaml": PROGRAM_YAML, **entries})
    assert refusal(data, tmp_path) == ["The zip holds 202 files; at most 200."]


def test_too_large_unpacked_is_refused_though_small_packed(tmp_path):
    data = zipped({"lead/program.yaml": PROGRAM_YAML, "lead/unit-01.md": b" " * (6 * 1024**2)})
    assert len(data) < 100_000
    assert refusal(data, tmp_path) == ["The zip unpacks to more than 5 MB."]


def test_sizes_are_counted_as_unpacked_not_as_declared(tmp_path, monkeypatch):
    # The headers' sizes pass the first check; the bytes that come out are counted again.
    data = zipped({"lead/program.yaml": PROGRAM_YAML, "lead/unit-01.md": b"x" * 300})
    monkeypatch.setattr(archive, "_check_entries", lambda entries: None)
    monkeypatch.setattr(archive, "MAX_BYTES", 200)
    assert refusal(data, tmp_path) == ["The zip unpacks to more than 0 MB."]


@pytest.mark.parametrize(
    ("name", "data"),
    [("lead/more.zip", b"anything"), ("lead/more.tar.gz", b"anything"),
     ("lead/unit-02.md", zipped({"x": b"y"})), ("lead/notes.md", b"\x1f\x8b\x08\x00gzip")],
)  # fmt: skip
def test_archives_inside_the_zip_are_refused(tmp_path, name, data):
    errors = refusal(zipped({"lead/program.yaml": PROGRAM_YAML, name: data}), tmp_path)
    assert len(errors) == 1 and errors[0].startswith(f"{name}: an archive inside the zip")


def test_links_in_the_zip_are_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as made:
        made.writestr("lead/program.yaml", PROGRAM_YAML)
        link = zipfile.ZipInfo("lead/unit-01.md")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        made.writestr(link, "/etc/passwd")
    assert refusal(buffer.getvalue(), tmp_path) == [
        "lead/unit-01.md: a link; the zip may only hold files and folders"
    ]


def test_a_zip_without_or_with_two_programs_is_refused(tmp_path):
    assert refusal(zipped({"unit-01.md": UNIT}), tmp_path / "a") == [
        "The zip holds no program.yaml; zip the program's folder."
    ]
    two = zipped({"a/program.yaml": PROGRAM_YAML, "b/program.yaml": PROGRAM_YAML})
    assert refusal(two, tmp_path / "b") == [
        "The zip holds more than one program: a/program.yaml, b/program.yaml."
    ]


def test_a_shipped_template_zipped_by_hand_imports(org, tmp_path):
    template = LIBRARY / "leadership" / "nb"
    data = zipped({f"ledelse/{path.name}": path.read_bytes() for path in template.iterdir()})
    program = program_import(organization=org, folder=extract_program(data, tmp_path))
    assert program.slug == "ledelse" and program.units.count() == 8
