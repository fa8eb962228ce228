"""People from a spreadsheet: reading a file and planning its import, writing nothing.

`read_people` turns a CSV or XLSX file into rows, each checked on its own; `people_plan`
compares them with what the program already has and decides every row's outcome.
`people.services.people_import` applies a plan inside a transaction. An uploaded file is
read by a worker, never in the request (`job_start`, then the task `people.tasks`
runs `read_job`); the rows it found wait in the database for the admin's confirm
(`job_people`, `job_take`).
"""

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pocketmentor.accounts.models import User
from pocketmentor.learning.models import Enrollment
from pocketmentor.lib.ordering import natural_key
from pocketmentor.lib.text import has_control
from pocketmentor.orgs.departments import departments_spelled
from pocketmentor.orgs.models import Membership, WaitingFile
from pocketmentor.people.models import PeopleFileJob
from pocketmentor.programs.models import Group, Program

MAX_ROWS = 20_000
# Bounds on what reading one file may take, whatever it claims to be (docs/privacy.md).
MAX_COLUMNS = 100
MAX_CELLS = 500_000  # cells in a sheet, and shared strings: 20 000 people, 25 columns
MAX_XLSX_UNPACKED = 40 * 2**20  # bytes, all members unpacked
MAX_XLSX_MEMBERS = 200
SHARED_STRING = re.compile(rb"<(?:\w+:)?si[\s>/]")
CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
PAGE_SIZE = 50
LOOKUP_CHUNK = 5_000  # values in one IN (…) at most
# Header names as people write them, in English or Norwegian, once lower-cased and with
# spaces, dashes, dots and underscores removed ("E-post" is "epost").
COLUMNS = {
    "name": {"name", "fullname", "navn", "fulltnavn"},
    "email": {"email", "emailaddress", "mail", "epost", "epostadresse"},
    "department": {"department", "avdeling", "enhet"},
    "group": {"group", "gruppe"},
    "language": {"language", "språk", "sprak", "målform"},
    "phone": {"phone", "phonenumber", "mobile", "telefon", "telefonnummer", "mobil", "tlf"},
}
REQUIRED = ("name", "email")
LANGUAGES = {
    "en": {"en", "eng", "english", "engelsk", "engb", "enus"},
    "nb": {"nb", "no", "nob", "nbno", "norsk", "bokmål", "bokmal", "norwegian", "norskbokmål"},
}
LIMITS = {"name": 150, "email": 254, "department": 200, "group": 100}
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape
SPACES = re.compile(r"\s+")


# The downloadable template: the columns the importer reads and stores, headed in the
# person's language (each heading is one COLUMNS accepts), and two example rows.
TEMPLATE = {
    "nb": [
        ["navn", "e-post", "avdeling", "gruppe", "språk"],
        ["Kari Nordmann", "kari.nordmann@example.com", "Oppvekst", "Gruppe 1", "nb"],
        ["Amir Haddad", "amir.haddad@example.com", "Teknisk", "Gruppe 2", "en"],
    ],
    "en": [
        ["name", "email", "department", "group", "language"],
        ["Kari Nordmann", "kari.nordmann@example.com", "Education", "Group 1", "nb"],
        ["Amir Haddad", "amir.haddad@example.com", "Engineering", "Group 2", "en"],
    ],
}


def template_rows(language: str) -> list[list[str]]:
    """The import template's rows in `language` ("nb" or else English)."""
    return TEMPLATE["nb" if language.startswith("nb") else "en"]


class PeopleFileError(Exception):
    """The file as a whole cannot be read: nothing in it is imported."""


@dataclass
class PersonRow:
    """One row of the file, cleaned, with what is wrong with it on its own."""

    number: int  # the row as the spreadsheet numbers it: the header is row 1
    name: str = ""
    email: str = ""
    department: str | None = None  # None: the file has no such column, so leave it alone
    group: str | None = None
    language: str = ""  # "" leaves the person's language as it is
    phone: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class PeopleFile:
    rows: list[PersonRow]
    ignored_columns: list[str] = field(default_factory=list)


def read_people(data: bytes, *, filename: str = "") -> PeopleFile:
    """Read a CSV (UTF-8 with or without BOM, or UTF-16; comma, semicolon or tab) or XLSX."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        table = _xlsx_rows(data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise PeopleFileError(
            _("This is an old Excel file (.xls). Save it as .xlsx or as CSV UTF-8, and upload it.")
        )
    else:
        table = _csv_rows(data)
    header = next((cells for _number, cells in table if any(_text(cell) for cell in cells)), None)
    if header is None:
        raise PeopleFileError(_("The file is empty. Upload a file with a header row and people."))
    columns, ignored = _header(header)
    rows = []
    for number, cells in table:
        values = [_text(cell) for cell in cells]
        if not any(values):
            continue  # spreadsheets keep empty rows at the end
        if len(rows) == MAX_ROWS:
            raise PeopleFileError(
                _("The file has more than %(max)s people. Split it and import each part.")
                % {"max": f"{MAX_ROWS:,}".replace(",", " ")}
            )
        rows.append(_person(number, columns, values))
    _mark_duplicates(rows)
    return PeopleFile(rows=rows, ignored_columns=ignored)


def _csv_rows(data: bytes):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")  # Excel's "Unicode text"
    else:
        # Bytes that are not UTF-8 survive as marks, so only their rows are refused.
        text = data.decode("utf-8-sig", errors="surrogateescape")
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)  # Norwegian Excel separates with ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    read = 0  # the file's lines read by the rows before
    try:
        for number, row in _bounded(enumerate(reader, start=1)):
            if any("\n" in value for value in row):  # a quotation mark left open swallows lines
                raise csv.Error
            read = reader.line_num
            yield number, row
    except csv.Error:
        raise PeopleFileError(
            _(
                'Line %(line)s cannot be read: a quotation mark (") there is probably not '
                "closed. Remove it and upload the file again."
            )
            % {"line": read + 1}
        ) from None


def _too_big() -> PeopleFileError:
    return PeopleFileError(
        _(
            "The file holds far more than a list of people (more than %(cells)s cells or "
            "%(size)s MB unpacked). Save only the sheet with the people, as CSV UTF-8, and "
            "upload that."
        )
        % {"cells": f"{MAX_CELLS:,}".replace(",", " "), "size": MAX_XLSX_UNPACKED // 2**20}
    )


def _count_in_member(book: zipfile.ZipFile, info: zipfile.ZipInfo, pattern: re.Pattern) -> int:
    """How often the pattern occurs in a member, read in pieces (never whole into memory)."""
    count, tail = 0, b""
    with book.open(info) as member:
        while piece := member.read(1 << 20):
            window = tail + piece
            # What lies wholly in the tail was counted with the piece before.
            count += len(pattern.findall(window)) - len(pattern.findall(tail))
            tail = window[-16:]
    return count


def _xlsx_check(data: bytes) -> None:
    """Refuse a workbook that would take openpyxl far more memory or time than people need:
    its members' unpacked sizes, its shared strings and its cells are counted from the zip
    before openpyxl reads anything. (zipfile never unpacks more than a member declares.)"""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        members = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: openpyxl refuses it with the usual message
    if len(members) > MAX_XLSX_MEMBERS or sum(m.file_size for m in members) > MAX_XLSX_UNPACKED:
        raise _too_big()
    try:
        for info in members:
            name = info.filename.lower()
            sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
            pattern = (
                SHARED_STRING if name.endswith("sharedstrings.xml") else CELL if sheet else None
            )
            if pattern and _count_in_member(book, info, pattern) > MAX_CELLS:
                raise _too_big()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError):
        raise PeopleFileError(
            _("The file cannot be read as an Excel workbook. Save it as .xlsx or CSV UTF-8.")
        ) from None


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    unreadable = PeopleFileError(
        _("The file cannot be read as an Excel workbook. Save it as .xlsx or CSV UTF-8.")
    )
    _xlsx_check(data)
    # openpyxl raises many kinds of errors on a damaged file; each means the same here.
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise unreadable from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size; read every row
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        yield from _bounded(rows)
    except PeopleFileError:
        raise
    except Exception:
        raise unreadable from None
    finally:
        book.close()


def _bounded(rows):
    """Rows of at most MAX_COLUMNS cells: a cell far to the right would make every row huge."""
    for number, cells in rows:
        if len(cells) > MAX_COLUMNS:
            raise PeopleFileError(
                _(
                    "Row %(row)s has more than %(max)s columns. Keep only the columns with "
                    "people's details and upload the file again."
                )
                % {"row": number, "max": MAX_COLUMNS}
            )
        yield number, cells


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell
    return SPACES.sub(" ", str(value)).strip()


def _header(cells) -> tuple[dict[int, str], list[str]]:
    """Which column holds what; the names nobody knows are listed, to catch typos."""
    columns: dict[int, str] = {}
    ignored = []
    for index, cell in enumerate(cells):
        label = _text(cell).lstrip("\ufeff")
        if NOT_UTF8.search(label):
            raise PeopleFileError(
                _("The file is not in UTF-8. In Excel, save it as “CSV UTF-8”, and upload it.")
            )
        key = re.sub(r"[\s_.\-]", "", label.casefold())
        known = next((name for name, aliases in COLUMNS.items() if key in aliases), None)
        if known is None:
            if label:
                ignored.append(label)
        elif known in columns.values():
            raise PeopleFileError(
                _("The column “%(column)s” appears twice. Keep one and upload the file again.")
                % {"column": label}
            )
        else:
            columns[index] = known
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        raise PeopleFileError(
            _(
                "The first row must name the columns, and name and email are needed "
                "(navn and e-post work too). Missing: %(missing)s."
            )
            % {"missing": ", ".join(_column_label(name) for name in missing)}
        )
    return columns, ignored


def _person(number: int, columns: dict[int, str], values: list[str]) -> PersonRow:
    cells = {name: (values[i] if i < len(values) else "") for i, name in columns.items()}
    row = PersonRow(number=number, phone=cells.get("phone", ""))
    problems = row.problems
    if any(NOT_UTF8.search(value) for value in values):
        row.name, row.email = (NOT_UTF8.sub("\ufffd", cells[name]) for name in REQUIRED)
        problems.append(
            _("Some letters are not UTF-8. Save the file as “CSV UTF-8” and upload it again.")
        )
        return row
    row.name = cells["name"]
    row.email = cells["email"].lower()
    row.department = cells.get("department")
    row.group = cells.get("group")
    if not row.name:
        problems.append(_("The name is missing."))
    if not row.email:
        problems.append(_("The e-mail address is missing."))
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            problems.append(
                _("“%(email)s” is not a valid e-mail address.") % {"email": cells["email"]}
            )
    for name, limit in LIMITS.items():
        if has_control(cells.get(name) or ""):
            problems.append(
                _("The %(column)s holds a control character. Remove it and upload the file again.")
                % {"column": _column_label(name)}
            )
        if len(cells.get(name) or "") > limit:
            problems.append(
                _("The %(column)s is longer than %(limit)s characters.")
                % {"column": _column_label(name), "limit": limit}
            )
    spoken = cells.get("language", "")
    if spoken:
        key = re.sub(r"[\s_.\-]", "", spoken.casefold())
        row.language = next((code for code, names in LANGUAGES.items() if key in names), "")
        if not row.language:
            problems.append(
                _("The language “%(language)s” is unknown: write en or nb, or leave it empty.")
                % {"language": spoken}
            )
    return row


def _column_label(name: str) -> str:
    return {
        "name": _("name"),
        "email": _("e-mail address"),
        "department": _("department"),
        "group": _("group name"),
    }[name]


def _mark_duplicates(rows: list[PersonRow]) -> None:
    first: dict[str, int] = {}
    for row in rows:
        if not row.email:
            continue
        if row.email in first:
            row.problems.append(
                _("The e-mail address is on row %(row)s too; only that row is imported.")
                % {"row": first[row.email]}
            )
        else:
            first[row.email] = row.number


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class Change(NamedTuple):
    """One field the import changes, with the value people see and the one stored."""

    field: str  # name, language (the person), department (membership) or group
    label: str
    old: str
    new: str
    value: Any


@dataclass
class PersonPlan:
    row: PersonRow
    outcome: Outcome = Outcome.UNCHANGED
    reasons: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    user: User | None = None
    membership: Membership | None = None
    enrollment: Enrollment | None = None
    group_key: str | None = None  # the group's name, casefolded; "" for none; None: leave it
    active: bool = True  # whether the person takes part here (False: deactivated here)
    activate_user: bool = False
    invite: bool = False


@dataclass
class ImportPlan:
    program: Program
    people: list[PersonPlan]
    new_groups: list[str]
    ignored_columns: list[str]

    def of(self, outcome: Outcome) -> list[PersonPlan]:
        return [person for person in self.people if person.outcome == outcome]

    @property
    def new(self) -> list[PersonPlan]:
        return self.of(Outcome.NEW)

    @property
    def updated(self) -> list[PersonPlan]:
        return self.of(Outcome.UPDATED)

    @property
    def unchanged(self) -> list[PersonPlan]:
        return self.of(Outcome.UNCHANGED)

    @property
    def refused(self) -> list[PersonPlan]:
        return self.of(Outcome.REFUSED)

    @property
    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for person in self.people:
            counts[person.outcome] += 1
        return counts

    @property
    def invitations(self) -> int:
        return sum(person.invite for person in self.people)

    @property
    def changes_anything(self) -> bool:
        counts = self.counts
        return bool(counts[Outcome.NEW] or counts[Outcome.UPDATED] or self.invitations)


@dataclass
class _Known:
    """What the database holds about the file's people, read once for all rows."""

    program: Program
    users: dict[str, User]
    memberships: dict[int, list[Membership]]
    enrollments: dict[int, list[Enrollment]]  # in the organization's programs
    groups: dict[str, Group]
    new_groups: dict[str, str] = field(default_factory=dict)


def people_plan(people: PeopleFile, *, program: Program, invite: bool = False) -> ImportPlan:
    """Every row's outcome against the database, in a fixed number of queries.

    `invite` marks the people who will get an invitation: the active ones in the file who
    were never invited.
    """
    known = _known(people, program)
    named = [row for row in people.rows if row.department and not row.problems]
    spelled = departments_spelled(
        organization_id=program.organization_id, names={row.department for row in named}
    )
    for row in named:
        row.department = spelled[row.department]
    plans = []
    for row in people.rows:
        plan = PersonPlan(row=row)
        plans.append(plan)
        if row.problems:
            plan.outcome, plan.reasons = Outcome.REFUSED, row.problems
            continue
        if row.group is not None:
            plan.group_key = row.group.casefold()
        _compare(plan, known)
        if plan.outcome == Outcome.REFUSED:
            continue
        if plan.group_key and plan.group_key not in known.groups:
            known.new_groups.setdefault(plan.group_key, row.group)
        plan.invite = (
            invite
            and plan.active
            and (plan.membership is None or plan.membership.invited_at is None)
        )
    return ImportPlan(
        program=program,
        people=plans,
        new_groups=sorted(known.new_groups.values(), key=natural_key),
        ignored_columns=people.ignored_columns,
    )


def _known(people: PeopleFile, program: Program) -> _Known:
    valid = [row for row in people.rows if not row.problems]
    users = users_by_email([row.email for row in valid])
    memberships: dict[int, list[Membership]] = {}
    enrollments: dict[int, list[Enrollment]] = {}
    for chunk in chunks([user.pk for user in users.values()]):
        for membership in Membership.objects.filter(user_id__in=chunk):
            memberships.setdefault(membership.user_id, []).append(membership)
        for enrollment in Enrollment.objects.filter(
            user_id__in=chunk, program__organization_id=program.organization_id
        ).select_related("group"):
            enrollments.setdefault(enrollment.user_id, []).append(enrollment)
    groups = {group.name.casefold(): group for group in program.groups.all()}
    return _Known(program, users, memberships, enrollments, groups)


def _compare(plan: PersonPlan, known: _Known) -> None:
    """Decide one valid row's outcome, and what it changes."""
    row = plan.row
    user = plan.user = known.users.get(row.email)
    if user is None:
        plan.outcome = Outcome.NEW
        return
    organization_id = known.program.organization_id
    theirs = known.memberships.get(user.pk, [])
    plan.membership = next((m for m in theirs if m.organization_id == organization_id), None)
    others = [m for m in theirs if m.organization_id != organization_id]
    if plan.membership and plan.membership.role != Membership.Role.PARTICIPANT:
        plan.outcome = Outcome.REFUSED
        plan.reasons = [
            _("%(email)s is %(role)s here; the import only adds participants.")
            % {"email": row.email, "role": plan.membership.get_role_display().lower()}
        ]
        return
    here = known.enrollments.get(user.pk, [])
    plan.enrollment = next((e for e in here if e.program_id == known.program.pk), None)
    if plan.membership is None:
        plan.activate_user = not user.is_active  # a membership here lets them sign in again
    else:
        plan.active = user.is_active and (not here or any(e.is_active for e in here))
        if not plan.active:
            plan.notes.append(
                _("Deactivated here: the import keeps it so. Reactivate them on the people page.")
            )

    def change(name: str, label: str, old: str, new: str, value: Any) -> None:
        plan.changes.append(Change(name, label, old or "–", new or "–", value))

    language_names = dict(settings.LANGUAGES)
    # A person's name and language are their own across organizations: the import changes
    # them only for someone in this organization alone. Nothing here says why not, and a
    # person with an account elsewhere but not here reads exactly like a new one, so the
    # preview never tells whether an address has an account in another organization.
    if plan.membership is not None and not others:
        if row.name != user.name:
            change("name", _("name"), user.name, row.name, row.name)
        if row.language and row.language != user.language:
            old, new = language_names.get(user.language, ""), language_names[row.language]
            change("language", _("language"), old, new, row.language)
    department = plan.membership.department if plan.membership else None
    if department is not None and row.department is not None and row.department != department:
        change("department", _("department"), department, row.department, row.department)
    current = plan.enrollment.group if plan.enrollment else None
    key = current.name.casefold() if current else ""
    if plan.enrollment and plan.group_key is not None and plan.group_key != key:
        wanted = known.groups.get(plan.group_key)
        shown = wanted.name if wanted else known.new_groups.get(plan.group_key, row.group)
        change("group", _("group"), current.name if current else "", shown, plan.group_key)
    if plan.membership is None or plan.enrollment is None:
        plan.outcome = Outcome.NEW
        if plan.membership is not None:
            plan.notes.append(_("In the organization already: joins this program."))
    elif plan.changes:
        plan.outcome = Outcome.UPDATED


def users_by_email(emails: list[str]) -> dict[str, User]:
    users = {}
    for chunk in chunks(emails):
        users.update((user.email, user) for user in User.objects.filter(email__in=chunk))
    return users


def chunks(items: list):
    """Slices small enough for one query's parameters (SQLite may allow only 999)."""
    size = min(LOOKUP_CHUNK, (connection.features.max_query_params or LOOKUP_CHUNK) - 9)
    for start in range(0, len(items), size):
        yield items[start : start + size]


# A file waiting for the admin's confirm: in the database, which every node shares, not in the
# session, which every request reads. Named by its SHA-256, so the confirm finds exactly the
# file previewed.
WAITING_FOR = dt.timedelta(days=1)


def file_keep(data: bytes) -> str:
    """Keep an uploaded file until it is confirmed; its digest."""
    digest = hashlib.sha256(data).hexdigest()
    WaitingFile.objects.update_or_create(
        digest=digest, defaults={"data": data, "kept_at": timezone.now()}
    )
    return digest


def file_take(digest: str) -> bytes | None:
    """The kept file with this digest, removed; None if it is gone (or another took it)."""
    data = WaitingFile.objects.filter(digest=digest).values_list("data", flat=True).first()
    if data is None:
        return None
    taken, _ = WaitingFile.objects.filter(digest=digest).delete()
    return bytes(data) if taken else None


def files_prune(now: dt.datetime) -> None:
    """Forget files, and the rows read from them, that nobody confirmed within a day."""
    WaitingFile.objects.filter(kept_at__lt=now - WAITING_FOR).delete()
    PeopleFileJob.objects.filter(created_at__lt=now - WAITING_FOR).delete()


# Reading a file in the worker. The upload keeps the file and starts a job
# (`services.people_file_upload`); the task (`people.tasks`) reads it
# with every bound above (in the uploader's language, for the messages) and keeps the rows it
# found, or why the file is refused. The preview and the confirm use those rows: no request
# parses a file.


def read_job(*, job_id: str) -> str:
    """Read a job's file (the worker's task); its state after. Reading twice reads once."""
    job = PeopleFileJob.objects.filter(pk=job_id).first()
    if job is None or job.state != PeopleFileJob.State.READING:
        return job.state if job else "gone"
    data = WaitingFile.objects.filter(digest=job.digest).values_list("data", flat=True).first()
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if data is None:
                raise PeopleFileError(_("The file is gone. Upload it again."))
            people = read_people(bytes(data), filename=job.filename)
        except PeopleFileError as refused:
            job.state, job.error = PeopleFileJob.State.REFUSED, str(refused)
        else:
            job.state, job.people = PeopleFileJob.State.READY, people_as_json(people)
    job.save(update_fields=["state", "error", "people"])
    # The rows are kept: the file itself is needed no more.
    WaitingFile.objects.filter(digest=job.digest).exclude(
        digest__in=PeopleFileJob.objects.filter(state=PeopleFileJob.State.READING).values("digest")
    ).delete()
    return job.state


def people_as_json(people: PeopleFile) -> str:
    return json.dumps(dataclasses.asdict(people))  # ASCII: any text survives any database


def job_people(job) -> PeopleFile:
    """The rows a job's file held, as `read_people` found them."""
    found = json.loads(job.people)
    rows = [PersonRow(**row) for row in found["rows"]]
    return PeopleFile(rows=rows, ignored_columns=found["ignored_columns"])


def job_take(*, job_id: str, organization, program: Program) -> PeopleFile | None:
    """The rows of a read job, the job removed; None if it is gone (or another took it)."""
    try:
        pk = uuid.UUID(job_id)
    except ValueError:
        return None
    found = PeopleFileJob.objects.filter(
        pk=pk, organization=organization, program=program, state=PeopleFileJob.State.READY
    )
    job = found.first()
    if job is None:
        return None
    taken, _ = found.delete()
    return job_people(job) if taken else None
