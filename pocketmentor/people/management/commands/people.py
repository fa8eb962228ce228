"""`pocketmentor people import ORG PROGRAM FILE`: participants from a spreadsheet."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db import transaction

from pocketmentor.people.importing import (
    ImportPlan,
    Outcome,
    PeopleFileError,
    people_plan,
    read_people,
)
from pocketmentor.people.services import people_import
from pocketmentor.programs.lookup import organization_named, program_named


class Command(BaseCommand):
    help = "Import participants into a program from a CSV or XLSX file; see docs/people.md."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="import")
        load = actions.add_parser(
            "import", help="Create or update a program's participants from a CSV or XLSX file."
        )
        load.add_argument("organization", metavar="ORG", help="The organization's short name.")
        load.add_argument("program", metavar="PROGRAM", help="The program's short name.")
        load.add_argument("file", metavar="FILE", type=Path, help="A .csv or .xlsx file.")
        load.add_argument(
            "--invite", action="store_true", help="E-mail an invitation to those never invited."
        )
        load.add_argument(
            "--dry-run", action="store_true", help="Show what would happen; change nothing."
        )

    @no_translations
    def handle(self, *args, action: str, **options) -> None:
        program = program_named(organization_named(options["organization"]), options["program"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file {path}.")
        try:
            people = read_people(path.read_bytes(), filename=path.name)
        except PeopleFileError as refused:
            raise CommandError(f"{path} was not imported; nothing changed. {refused}") from None
        if options["dry_run"]:
            with transaction.atomic():  # reads only; one consistent view of the database
                plan = people_plan(people, program=program, invite=options["invite"])
        else:
            plan = people_import(program=program, people=people, invite=options["invite"])
        for line in _lines(plan, done=not options["dry_run"]):
            self.stdout.write(line)


def _lines(plan: ImportPlan, *, done: bool) -> list[str]:
    """Every row's outcome, as the preview shows it, then what it adds up to."""
    lines = []
    for person in plan.people:
        row = person.row
        who = f"row {row.number}" + (f" ({row.email})" if row.email else "")
        details = [str(reason) for reason in person.reasons]
        details += [f"{change.label}: {change.old} → {change.new}" for change in person.changes]
        details += [str(note) for note in person.notes]
        lines.append(f"{who}: {person.outcome}" + (f" — {'; '.join(details)}" if details else ""))
    if plan.new_groups:
        verb = "Created" if done else "Would create"
        lines.append(f"{verb} groups: {', '.join(plan.new_groups)}.")
    if plan.ignored_columns:
        lines.append(f"Columns left out: {', '.join(plan.ignored_columns)}.")
    counts = plan.counts
    summary = ", ".join(f"{counts[outcome]} {outcome}" for outcome in Outcome)
    invited = plan.invitations
    if done:
        lines.append(f"Imported into {plan.program.slug}: {summary}; {invited} invited.")
    else:
        lines.append(
            f"Dry run for {plan.program.slug}, nothing changed: {summary}; "
            f"{invited} would be invited."
        )
    return lines
