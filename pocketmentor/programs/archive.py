"""A program folder as a zip: what the studio offers to download and accepts as an upload.

An uploaded zip comes from anyone with studio access, so it is opened with care: no path
may leave the folder it is unpacked into, sizes are counted as the bytes come out rather
than believed from the zip's own headers, and archives inside it are refused.
"""

import io
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pocketmentor.programs.exporter import write_program
from pocketmentor.programs.importer import ProgramFolderError
from pocketmentor.programs.models import Program

MAX_FILES = 200
MAX_BYTES = 5 * 1024 * 1024  # unpacked; a long program's text is a few hundred kilobytes
ARCHIVE_SUFFIXES = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst"}
# Magic numbers of zip, gzip, bzip2, xz, 7z, rar and zstd, and "ustar" at offset 257 (tar).
ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!",
                 b"\x28\xb5\x2f\xfd")  # fmt: skip
# What a Mac or Windows adds when it zips a folder; not part of the program.
JUNK_FOLDER, JUNK_FILES = "__MACOSX/", {".DS_Store", "Thumbs.db", "desktop.ini"}
# A fixed date for every entry, so the same program always zips to the same bytes.
ZIP_DATE = (2000, 1, 1, 0, 0, 0)
CHUNK = 64 * 1024
NESTED = gettext_noop("an archive inside the zip; unpack it and zip the folder itself")


def program_zip(program: Program) -> bytes:
    """The program's folder, zipped, inside a top folder named after the program's slug."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        write_program(program, folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                entry = zipfile.ZipInfo(f"{program.slug}/{path.name}", date_time=ZIP_DATE)
                entry.external_attr = (stat.S_IFREG | 0o644) << 16
                archive.writestr(entry, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def extract_program(data: bytes, into: Path) -> Path:
    """Unpack a zipped program folder into `into`; return the folder holding program.yaml.

    Raises ProgramFolderError, with a message a person can act on, for anything that is
    not a plain zip of a program folder; nothing outside `into` is ever written.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise ProgramFolderError([_("This file is not a zip file.")]) from None
    with archive:
        entries = [entry for entry in archive.infolist() if not _is_junk(entry)]
        _check_entries(entries)
        into.mkdir(parents=True, exist_ok=True)
        total = 0
        for entry in entries:
            if not entry.is_dir():
                total = _extract(archive, entry, into, total)
    return _program_folder(into, entries)


def _is_junk(entry: zipfile.ZipInfo) -> bool:
    name = entry.filename
    return name.startswith(JUNK_FOLDER) or PurePosixPath(name).name in JUNK_FILES


def _check_entries(entries: list[zipfile.ZipInfo]) -> None:
    files = [entry for entry in entries if not entry.is_dir()]
    if len(files) > MAX_FILES:
        raise ProgramFolderError(
            [
                _("The zip holds %(count)s files; at most %(most)s.")
                % {"count": len(files), "most": MAX_FILES}
            ]
        )
    # The headers can lie, so _extract counts again; this refuses an honest big zip early.
    if sum(entry.file_size for entry in files) > MAX_BYTES:
        raise ProgramFolderError([_too_big()])
    problems = [problem for entry in entries if (problem := _entry_problem(entry))]
    if problems:
        raise ProgramFolderError(problems)


def _entry_problem(entry: zipfile.ZipInfo) -> str | None:
    name = entry.filename
    path = PurePosixPath(name)
    if _leaves_folder(name):
        return _("%(file)s: a path that leads out of the program folder") % {"file": name}
    if stat.S_ISLNK(entry.external_attr >> 16):
        return _("%(file)s: a link; the zip may only hold files and folders") % {"file": name}
    if entry.flag_bits & 0x1:
        return _("%(file)s: encrypted; zip the folder without a password") % {"file": name}
    if path.suffix.lower() in ARCHIVE_SUFFIXES:
        return f"{name}: {_(NESTED)}"
    return None


def _leaves_folder(name: str) -> bool:
    """An absolute path, a Windows drive or backslash path, or one that climbs with `..`."""
    parts = PurePosixPath(name).parts
    return not parts or name.startswith("/") or "\\" in name or ":" in parts[0] or ".." in parts


def _extract(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, into: Path, total: int) -> int:
    """Write one file below `into`, counting its real size; return the running total."""
    target = into.joinpath(*PurePosixPath(entry.filename).parts)
    if not target.resolve().is_relative_to(into.resolve()):
        raise ProgramFolderError(
            [_("%(file)s: a path that leads out of the program folder") % {"file": entry.filename}]
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    first = True
    try:
        with archive.open(entry) as source, target.open("wb") as sink:
            while chunk := source.read(CHUNK):
                if first and _is_archive(chunk):
                    raise ProgramFolderError([f"{entry.filename}: {_(NESTED)}"])
                first = False
                total += len(chunk)
                if total > MAX_BYTES:
                    raise ProgramFolderError([_too_big()])
                sink.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise ProgramFolderError(
            [
                _("%(file)s: cannot be unpacked (%(reason)s)")
                % {"file": entry.filename, "reason": exc}
            ]
        ) from None
    return total


def _is_archive(start: bytes) -> bool:
    # Checked by content too: an archive renamed to notes.md is still an archive.
    return start.startswith(ARCHIVE_MAGIC) or start[257:262] == b"ustar"


def _too_big() -> str:
    return _("The zip unpacks to more than %(size)s.") % {"size": _megabytes(MAX_BYTES)}


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


def _program_folder(into: Path, entries: list[zipfile.ZipInfo]) -> Path:
    """The one folder with a program.yaml: the zip's top, or the one folder inside it."""
    found = [
        PurePosixPath(entry.filename).parent
        for entry in entries
        if PurePosixPath(entry.filename).name == "program.yaml"
    ]
    if not found:
        raise ProgramFolderError([_("The zip holds no program.yaml; zip the program's folder.")])
    if len(found) > 1:
        names = ", ".join(sorted(str(parent / "program.yaml") for parent in found))
        raise ProgramFolderError(
            [_("The zip holds more than one program: %(names)s.") % {"names": names}]
        )
    return into.joinpath(*found[0].parts)
