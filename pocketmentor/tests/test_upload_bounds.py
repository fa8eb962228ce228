"""Uploads made to exhaust a server are refused, and reading them stays within a stated bound.

Each bomb is read in a fresh Python process, which reports its peak memory (the kernel's
high-water mark, as resource.getrusage gives it) compared with the same process reading
nothing: the bound below is the one docs/privacy.md states.
"""

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

BOUND_MB = 64  # the most one upload may grow a process by while it is read

READ = """
import json, resource, sys
import django
django.setup()
import openpyxl, PIL.Image, PIL.PngImagePlugin
from django.core.exceptions import ValidationError
from pocketmentor.people.importing import PeopleFileError, read_people
from pocketmentor.programs.media import image_check
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
translation.activate("en")
data = open(sys.argv[2], "rb").read()
try:
    if sys.argv[1] == "nothing":
        pass
    elif sys.argv[1] == "people":
        read_people(data, filename=sys.argv[2])
    else:
        image_check(SimpleUploadedFile("x.png", data))
    refusal = ""
except (PeopleFileError, ValidationError) as error:
    refusal = " ".join(getattr(error, "messages", [str(error)]))
# The peak of this program alone: getrusage's ru_maxrss also keeps the peak of the process
# that started it (Linux carries it across exec), /proc's VmHWM does not.
try:
    status = open("/proc/self/status").read()
    peak = int(status.split("VmHWM:")[1].split()[0])
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refusal": refusal, "peak_mb": peak / 1024}))
"""


def read_in_a_process(kind: str, data: bytes, tmp_path: Path) -> dict:
    """What reading the upload said, and how far the process's peak memory grew past that of
    the same process reading nothing."""
    outcome = _run(kind, data, tmp_path)
    outcome["grew_mb"] = outcome["peak_mb"] - _run("nothing", data, tmp_path)["peak_mb"]
    return outcome


def _run(kind: str, data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "upload"
    path.write_bytes(data)
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "pocketmentor.settings"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", READ, kind, str(path)],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _zip(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, content in members.items():
            book.writestr(name, content)
    return buffer.getvalue()


MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml."


def _workbook(*, sheet: bytes, shared: bytes = b"", styles: bytes = b"") -> bytes:
    """A workbook as Excel writes it: a sheet, shared strings and styles, each its own member."""
    parts = [
        (b"/xl/worksheets/sheet1.xml", b"worksheet+xml", b"worksheet", b"worksheets/sheet1.xml")
    ]
    if shared:
        parts.append(
            (b"/xl/sharedStrings.xml", b"sharedStrings+xml", b"sharedStrings", b"sharedStrings.xml")
        )
    if styles:
        parts.append((b"/xl/styles.xml", b"styles+xml", b"styles", b"styles.xml"))
    types = b"".join(
        b'<Override PartName="%s" ContentType="%s%s"/>' % (name, TYPE, kind)
        for name, kind, _, _ in parts
    )
    relations = b"".join(
        b'<Relationship Id="r%d" Type="%s/%s" Target="%s"/>' % (n, RELS, rel, target)
        for n, (_, _, rel, target) in enumerate(parts, start=1)
    )
    members = {
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" ContentType="'
        + TYPE
        + b'sheet.main+xml"/>'
        + types
        + b"</Types>",
        "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="w" Type="' + RELS + b'/officeDocument" '
        b'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b"<workbook " + MAIN + b' xmlns:r="' + RELS + b'"><sheets><sheet '
        b'name="People" sheetId="1" r:id="r1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships">' + relations + b"</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared:
        members["xl/sharedStrings.xml"] = shared
    if styles:
        members["xl/styles.xml"] = styles
    return _zip(members)


def _sheet(rows: int, columns: int, cell: bytes = b'<c t="s"><v>0</v></c>') -> bytes:
    body = b"<row>" + b'<c t="s"><v>0</v></c><c t="s"><v>1</v></c>' + b"</row>"
    body += (b"<row>" + cell * columns + b"</row>") * rows
    return b"<worksheet " + MAIN + b"><sheetData>" + body + b"</sheetData></worksheet>"


def _shared_strings(count: int) -> bytes:
    head = b"<sst " + MAIN + b' count="%d" uniqueCount="%d">' % (count, count)
    return (
        head
        + b"<si><t>name</t></si><si><t>email</t></si>"
        + b"<si><t>a</t></si>" * count
        + b"</sst>"
    )


BOMBS = {
    "three million shared strings": lambda: _workbook(
        sheet=_sheet(1, 2), shared=_shared_strings(3_000_000)
    ),
    "a sheet of 600 000 cells": lambda: _workbook(
        sheet=_sheet(60_000, 10), shared=_shared_strings(0)
    ),
    "styles that unpack to 150 MB": lambda: _workbook(
        sheet=_sheet(1, 2),
        shared=_shared_strings(0),
        styles=b"<styleSheet " + MAIN + b"><!--" + b" " * (150 * 2**20) + b"--></styleSheet>",
    ),
    "a cell in the last column": lambda: _workbook(
        sheet=b"<worksheet "
        + MAIN
        + b"><sheetData>"
        + b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        + b"".join(
            b'<row r="%d"><c r="XFD%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(2, 20_000)
        )
        + b"</sheetData></worksheet>",
        shared=_shared_strings(0),
    ),
    "a CSV line of a million columns": lambda: b"name,email" + b"," * 1_000_000 + b"\n",
}


@pytest.mark.parametrize("bomb", BOMBS)
def test_spreadsheet_bombs_are_refused_within_the_memory_bound(tmp_path, bomb):
    data = BOMBS[bomb]()
    assert len(data) < 1_500_000  # each is small on the wire
    outcome = read_in_a_process("people", data, tmp_path)
    assert outcome["refusal"], bomb
    assert "upload" in outcome["refusal"]  # it tells the admin what to do
    assert outcome["grew_mb"] < BOUND_MB, outcome


def test_a_plain_workbook_still_reads_within_the_bound(tmp_path):
    book = Workbook()
    book.active.append(["name", "email", "department"])
    for n in range(5_000):
        book.active.append([f"Person {n}", f"p{n}@x.example", "Oppvekst"])
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = read_in_a_process("people", buffer.getvalue(), tmp_path)
    assert outcome["refusal"] == ""
    assert outcome["grew_mb"] < BOUND_MB, outcome


def _png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of any size, made without holding its pixels in memory."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    compressed = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (15_000, 10_000), (30_000, 10)])
def test_images_too_large_in_pixels_are_refused_before_decoding(tmp_path, width, height):
    outcome = read_in_a_process("image", _png(width, height), tmp_path)
    assert "too large in pixels" in outcome["refusal"]
    assert outcome["grew_mb"] < BOUND_MB, outcome


def test_a_large_photo_within_the_limit_is_taken(tmp_path):
    outcome = read_in_a_process("image", _png(6_000, 4_000), tmp_path)
    assert outcome["refusal"] == ""
    assert outcome["grew_mb"] < BOUND_MB, outcome
