"""Reading a people file: every format and spelling people send, and every refusal."""

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from pocketmentor.people.importing import MAX_ROWS, PeopleFileError, read_people


@pytest.fixture(autouse=True)
def _english():
    """Reasons are checked in English here; the pages' tests read them in Norwegian."""
    with translation.override("en"):
        yield


ROWS = [
    ["Kari Nordmann", "kari@fjordvik.example", "Oppvekst", "Gruppe 1", "nb", "+47 900 00 000"],
    ["Åse Øvergård", "ase@fjordvik.example", "Helse og omsorg", "Gruppe 2", "", ""],
]


def csv_bytes(header, rows, *, delimiter=",", encoding="utf-8", newline="\r\n") -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def xlsx_bytes(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def people(data, filename="people.csv"):
    return [
        (row.name, row.email, row.department, row.group, row.language, row.phone, row.problems)
        for row in read_people(data, filename=filename).rows
    ]


EXPECTED = [
    ("Kari Nordmann", "kari@fjordvik.example", "Oppvekst", "Gruppe 1", "nb", "+47 900 00 000", []),
    ("Åse Øvergård", "ase@fjordvik.example", "Helse og omsorg", "Gruppe 2", "", "", []),
]
ENGLISH = ["name", "email", "department", "group", "language", "phone"]
NORWEGIAN = ["navn", "e-post", "avdeling", "gruppe", "språk", "telefon"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(csv_bytes(ENGLISH, ROWS), id="utf-8"),
        pytest.param(csv_bytes(ENGLISH, ROWS, encoding="utf-8-sig"), id="utf-8 with BOM"),
        pytest.param(csv_bytes(NORWEGIAN, ROWS, delimiter=";"), id="excel semicolons"),
        pytest.param(
            csv_bytes(NORWEGIAN, ROWS, delimiter=";", encoding="utf-8-sig", newline="\n"),
            id="excel csv utf-8, norwegian header",
        ),
        pytest.param(csv_bytes(ENGLISH, ROWS, delimiter="\t", encoding="utf-16"), id="utf-16 tabs"),
        pytest.param(
            csv_bytes([" Navn ", "E-POST", "Avdeling", " GRUPPE", "Språk ", "Telefon"], ROWS),
            id="case and spaces",
        ),
        pytest.param(
            csv_bytes(["Full name", "E-mail", "Department", "Group", "Language", "Phone"], ROWS),
            id="english words",
        ),  # fmt: skip
    ],
)
def test_every_csv_variant_reads_the_same(data):
    assert people(data) == EXPECTED


def test_xlsx_reads_the_same_with_numbers_as_text():
    rows = [ROWS[0][:5] + [4790000000], ROWS[1][:4] + [None, None]]
    data = xlsx_bytes(NORWEGIAN, rows)
    result = people(data, filename="folk.xlsx")
    assert result[0][:5] == EXPECTED[0][:5] and result[0][5] == "4790000000"
    assert result[1] == EXPECTED[1]


def test_xlsx_is_known_by_its_content_whatever_its_name():
    assert people(xlsx_bytes(ENGLISH, ROWS), filename="export") == EXPECTED


def test_a_quoted_cell_may_hold_the_delimiter_and_rows_keep_their_spreadsheet_numbers():
    data = b'navn;e-post\n"Berg; Ola";ola@x.example\n;\n\n"Li, Na";na@x.example\n'
    rows = read_people(data).rows
    assert [(row.number, row.name) for row in rows] == [(2, "Berg; Ola"), (5, "Li, Na")]


def test_optional_columns_may_be_left_out_and_unknown_ones_are_listed():
    parsed = read_people(b"email,name,Avdelig\nkari@x.example,Kari,Oppvekst\n")
    [row] = parsed.rows
    assert (row.name, row.department, row.group, row.language) == ("Kari", None, None, "")
    assert parsed.ignored_columns == ["Avdelig"]


def test_language_may_be_written_out():
    data = csv_bytes(["name", "email", "language"], [
        ["A", "a@x.example", "Norsk"], ["B", "b@x.example", "English"],
        ["C", "c@x.example", "NB"], ["D", "d@x.example", "bokmål"],
    ])  # fmt: skip
    assert [row.language for row in read_people(data).rows] == ["nb", "en", "nb", "nb"]


def refusal(line: str, header: str = "name,email,department,group,language") -> list[str]:
    [row] = read_people(f"{header}\n{line}\n".encode()).rows
    return [str(problem) for problem in row.problems]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Kari,kari@,Oppvekst,,", "“kari@” is not a valid e-mail address."),
        ("Kari,kari at x.no,,,", "“kari at x.no” is not a valid e-mail address."),
        (",kari@x.example,,,", "The name is missing."),
        ("Kari,,,,", "The e-mail address is missing."),
        ("Kari,kari@x.example,,,fr", "The language “fr” is unknown: write en or nb, or leave it "
                                     "empty."),
        ("Kari,kari@x.example,,G" + "x" * 100 + ",", "The group name is longer than 100 "
                                                     "characters."),
    ],
)  # fmt: skip
def test_each_problem_with_a_row_is_named(line, reason):
    assert refusal(line) == [reason]


def test_a_name_or_department_with_a_control_character_is_refused():
    assert refusal("Kari\x1bEvil,kari@x.example,,,") == [
        "The name holds a control character. Remove it and upload the file again."
    ]
    assert refusal("Kari,kari@x.example,Opp\x00vekst,,") == [
        "The department holds a control character. Remove it and upload the file again."
    ]
    # A line break inside quotes is a cell that swallowed lines: refused with its line.
    with pytest.raises(PeopleFileError):
        read_people(b'name,email\n"Evil\r\nBcc: x@y.no",kari@x.example\n')


def test_a_row_may_have_several_problems():
    assert refusal(",nope,,,xx") == [
        "The name is missing.",
        "“nope” is not a valid e-mail address.",
        "The language “xx” is unknown: write en or nb, or leave it empty.",
    ]


def test_a_duplicate_address_refuses_the_later_rows_whatever_the_case():
    data = b"name,email\nKari,kari@x.example\nOla,ola@x.example\nKari N,KARI@x.example\n"
    rows = read_people(data).rows
    assert [row.problems for row in rows[:2]] == [[], []]
    assert [str(p) for p in rows[2].problems] == [
        "The e-mail address is on row 2 too; only that row is imported."
    ]
    assert rows[2].email == "kari@x.example"


def test_rows_not_in_utf8_are_refused_and_the_others_read():
    data = "navn;e-post\nOla Hansen;ola@x.example\nÅse Ødegård;ase@x.example\n".encode("cp1252")
    ok, bad = read_people(data).rows
    assert ok.problems == [] and ok.name == "Ola Hansen"
    assert [str(p) for p in bad.problems] == [
        "Some letters are not UTF-8. Save the file as “CSV UTF-8” and upload it again."
    ]
    assert bad.name == "\ufffdse \ufffddeg\ufffdrd"  # shown as far as it can be


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n", "The file is empty."),
        (b"email,department\nkari@x.example,Oppvekst\n", "Missing: name."),
        (b"navn;telefon\nKari;123\n", "Missing: e-mail address."),
        (b"name,email,navn\n", "The column “navn” appears twice."),
        ("navn;e-post;språk\n".encode("cp1252"), "The file is not in UTF-8."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "This is an old Excel file (.xls)."),
        (b"PK\x03\x04not really a workbook", "cannot be read as an Excel workbook"),
        (
            b'navn;e-post\nOla;ola@x.example\n"Kari;kari@x.example\nPer;per@x.example\n',
            'Line 3 cannot be read: a quotation mark (") there is probably not closed.',
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, message):
    with pytest.raises(PeopleFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_people(data)


def test_too_many_rows_are_refused_whole():
    lines = "".join(f"P{n},p{n}@x.example\n" for n in range(MAX_ROWS + 1))
    with pytest.raises(PeopleFileError, match="more than 20 000 people"):
        read_people(f"name,email\n{lines}".encode())
