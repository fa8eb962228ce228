"""`pocketmentor program export|import`: programs as code on the command line."""

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from pocketmentor.programs.archive import extract_program, program_zip
from pocketmentor.programs.importer import ImportReport, ProgramFolderError
from pocketmentor.programs.lookup import organization_named, program_named
from pocketmentor.programs.models import Program
from pocketmentor.programs.services import program_export, program_import


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date like 2026-01-05") from None


class Command(BaseCommand):
    help = "Export a program to a folder (or .zip), or import one; see docs/programs-as-code.md."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="export|import")
        export = actions.add_parser(
            "export", help="Write a program as program.yaml and unit-NN.md files."
        )
        export.add_argument("organization", metavar="ORG", help="The organization's short name.")
        export.add_argument("slug", metavar="SLUG", help="The program's short name.")
        export.add_argument("folder", metavar="DIR", type=Path, help="A folder, or a .zip file.")
        load = actions.add_parser(
            "import", help="Create a program from a folder, or update the one with its slug."
        )
        load.add_argument("organization", metavar="ORG", help="The organization's short name.")
        load.add_argument("folder", metavar="DIR", type=Path, help="A folder, or a .zip file.")
        load.add_argument("--start-date", type=_date, help="Week 1 starts this day (YYYY-MM-DD).")
        load.add_argument("--publish", action="store_true", help="Publish every unit.")
        load.add_argument("--live", action="store_true", help="Make the program live.")

    @no_translations  # the command speaks English, as the others do
    def handle(self, *args, action: str, **options) -> None:
        if action == "export":
            self.export(options["organization"], options["slug"], options["folder"])
        else:
            self.load(options["organization"], options["folder"], options)

    def export(self, org_slug: str, slug: str, folder: Path) -> None:
        program = program_named(organization_named(org_slug), slug)
        if folder.suffix == ".zip":
            folder.write_bytes(program_zip(program))
        else:
            program_export(program=program, folder=folder)
        units = program.units.count()
        self.stdout.write(f"Exported {program.slug} ({units} units) to {folder}.")

    def load(self, org_slug: str, folder: Path, options: dict) -> None:
        organization = organization_named(org_slug)
        report = ImportReport()
        with tempfile.TemporaryDirectory() as unpacked:
            try:
                source = _unpacked(folder, Path(unpacked))
                program = program_import(
                    organization=organization,
                    folder=source,
                    start_date=options["start_date"],
                    state=Program.State.LIVE if options["live"] else None,
                    publish=options["publish"],
                    report=report,
                )
            except ProgramFolderError as refused:
                lines = [f"{folder} was not imported; nothing changed. Problems:"]
                raise CommandError("\n".join(lines + refused.errors)) from None
        for line in _summary(program, report):
            self.stdout.write(line)


def _unpacked(path: Path, into: Path) -> Path:
    """The program folder: `path` itself, or what a .zip at `path` unpacks to."""
    if path.is_file():
        return extract_program(path.read_bytes(), into)
    return path


def _summary(program: Program, report: ImportReport) -> list[str]:
    """What the import did, one line a change, for the person who ran it."""
    verb = "Created" if report.created else "Updated"
    lines = [
        f"{verb} program {program.slug} in {program.organization.slug}: {program.title} "
        f"({program.state}, week 1 starts {program.start_date:%Y-%m-%d})."
    ]
    counts = [
        (report.units_created, "unit", "added"),
        (report.units_updated, "unit", "updated"),
        (report.units_unchanged, "unit", "unchanged"),
        (report.units_published, "unit", "published"),
        (report.activities_created, "activity", "added"),
        (report.activities_updated, "activity", "updated"),
        (report.activities_unchanged, "activity", "unchanged"),
        (report.activities_deleted, "activity", "deleted"),
        (report.activities_removed, "activity", "removed from the pages, kept for its answers"),
        (report.options_kept, "option", "kept after the others because answers chose it"),
    ]
    lines += [f"  {_count(n, noun)} {what}" for n, noun, what in counts if n]
    if report.units_deleted:
        lines.append(f"  units deleted: {_numbers(report.units_deleted)}")
    if report.units_unpublished:
        lines.append(
            f"  units not in the folder, unpublished and kept for their answers: "
            f"{_numbers(report.units_unpublished)}"
        )
    return lines


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(number) for number in sorted(numbers))


def _count(number: int, noun: str) -> str:
    plural = {"unit": "units", "activity": "activities", "option": "options"}[noun]
    return f"{number} {noun if number == 1 else plural}"
