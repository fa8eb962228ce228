from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pocketmentor.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a folder made by `pocketmentor backup` (stop the servers and workers first)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="a folder made by pocketmentor backup")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds people"
        )

    def handle(self, *args, folder: Path, force: bool, **options):
        try:
            manifest, notes = restore(folder, force=force)
        except BackupError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(
            f"Restored the backup of {manifest.created_at} (version {manifest.version})."
        )
        for note in notes:
            self.stdout.write(f"- {note}")
