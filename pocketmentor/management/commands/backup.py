from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pocketmentor.backup import BackupError, backup


class Command(BaseCommand):
    help = "Copy the database, uploaded images and keys into a new folder, while serving."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="a new or empty folder")

    def handle(self, *args, folder: Path, **options):
        try:
            manifest = backup(folder)
        except BackupError as problem:
            raise CommandError(str(problem)) from None
        media = (
            "images in media/"
            if manifest.media == "files"
            else (f"images stay in the bucket {manifest.media[3:]} (its own tools back it up)")
        )
        keys = ", ".join(manifest.keys) or "none (they come from the environment: keep them)"
        self.stdout.write(
            f"Backed up to {folder}: the {manifest.database} database, {media}, keys: {keys}."
        )
