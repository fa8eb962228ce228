"""`pocketmentor backup DIR` and `pocketmentor restore DIR`: the database, media and keys.

A backup is a folder: the database (`database.sqlite3`, made with SQLite's online backup, or
`database.dump`, PostgreSQL's custom format from `pg_dump`), uploaded images in `media/`
(when they are local files), the keys that live in the data folder in `keys/`, and
`manifest.json`. Both are safe while the site serves: SQLite's backup and `pg_dump` read one
consistent snapshot. A restore refuses a database that holds people unless forced, then
migrates, so a backup of an older version comes back upgraded.
"""

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

FORMAT = 1
KEY_FILES = ("secret-key", "vapid.json")


class BackupError(Exception):
    """The backup or restore was refused or failed; the message says what to do."""


@dataclass(frozen=True)
class Manifest:
    format: int
    version: str
    database: str  # sqlite or postgresql
    created_at: str
    migrations: dict[str, str]  # each app's last migration
    media: str  # files, or s3:BUCKET (backed up with the storage's own tools)
    keys: list[str]


def _database_kind() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _last_migrations() -> dict[str, str]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    last: dict[str, str] = {}
    for app, name in sorted(loader.applied_migrations):
        last[app] = max(last.get(app, ""), name)
    return last


def _keys_in_data_folder() -> list[str]:
    """The key files the running settings read from the data folder (not the environment)."""
    found = []
    secret = Path(settings.DATA_DIR) / "secret-key"
    if secret.exists() and secret.read_text().strip() == settings.SECRET_KEY:
        found.append("secret-key")
    vapid = Path(settings.DATA_DIR) / "vapid.json"
    if vapid.exists() and json.loads(vapid.read_text())["private_key"] == (
        settings.VAPID_PRIVATE_KEY
    ):
        found.append("vapid.json")
    return found


def _postgres_environment() -> dict[str, str]:
    """libpq's variables for the configured database, so no password is on a command line."""
    db = settings.DATABASES["default"]
    given = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db["NAME"],
    }
    return os.environ | {name: value for name, value in given.items() if value}


def _run(command: list[str]) -> None:
    try:
        subprocess.run(  # noqa: S603 - PostgreSQL's own tools, arguments we made
            command, env=_postgres_environment(), check=True, capture_output=True, text=True
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed: install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client) of the server's version or newer."
        ) from None
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()}") from None


def backup(folder: Path) -> Manifest:
    """Write a consistent copy of the database, media and keys into a new or empty folder."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # it holds the keys and everyone's data
    kind = _database_kind()
    if kind == "sqlite":
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        target = sqlite3.connect(folder / "database.sqlite3")
        try:
            with target:
                source.backup(target)  # one consistent snapshot, while others write
        finally:
            target.close()
            source.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(folder / "database.dump")])
    if isinstance(default_storage, FileSystemStorage):
        media = "files"
        if Path(settings.MEDIA_ROOT).exists():
            shutil.copytree(settings.MEDIA_ROOT, folder / "media")
    else:
        media = f"s3:{settings.S3_BUCKET}"
    keys = _keys_in_data_folder()
    if keys:
        (folder / "keys").mkdir(mode=0o700)
        for name in keys:
            shutil.copy2(Path(settings.DATA_DIR) / name, folder / "keys" / name)
    manifest = Manifest(
        format=FORMAT,
        version=version("pocketmentor"),
        database=kind,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        migrations=_last_migrations(),
        media=media,
        keys=keys,
    )
    (folder / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2) + "\n")
    return manifest


def read_manifest(folder: Path) -> Manifest:
    try:
        manifest = Manifest(**json.loads((folder / "manifest.json").read_text()))
    except (OSError, ValueError, TypeError):
        raise BackupError(
            f"{folder} holds no readable manifest.json: it is not a Pocketmentor backup."
        ) from None
    if manifest.format != FORMAT:
        raise BackupError(
            f"This backup's format ({manifest.format}) is not one this version reads."
        )
    return manifest


def database_in_use() -> bool:
    """Whether the configured database holds anyone: a restore would replace their data."""
    tables = set(connection.introspection.table_names())
    if "accounts_user" not in tables:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM accounts_user LIMIT 1")
        return cursor.fetchone() is not None


def restore(folder: Path, *, force: bool = False) -> tuple[Manifest, list[str]]:
    """Replace the database with the backup's, add its media, put its keys in the data folder;
    the manifest, and what the operator must still do by hand."""
    manifest = read_manifest(folder)
    kind = _database_kind()
    if manifest.database != kind:
        raise BackupError(
            f"This is a backup of a {manifest.database} database and DATABASE_URL names a "
            f"{kind} one: restore it onto {manifest.database}."
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}" for app, name in manifest.migrations.items() if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            f"This backup comes from a newer version ({manifest.version}; it has "
            f"{', '.join(unknown)}): install that version or newer, then restore."
        )
    if database_in_use() and not force:
        raise BackupError(
            "The database already holds people: restoring would replace them. "
            "Point DATABASE_URL (or DATA_DIR) at an empty database, or add --force."
        )
    if kind == "sqlite":
        connection.close()
        source = sqlite3.connect(folder / "database.sqlite3")
        target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            with target:
                source.backup(target)  # replaces every page of the target
        finally:
            target.close()
            source.close()
    else:
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                settings.DATABASES["default"]["NAME"],
                str(folder / "database.dump"),
            ]
        )
    media = folder / "media"
    if media.exists():
        for path in sorted(media.rglob("*")):
            name = path.relative_to(media).as_posix()
            if path.is_file() and not default_storage.exists(name):
                with path.open("rb") as file:
                    default_storage.save(name, File(file))
    for name in manifest.keys:
        target = Path(settings.DATA_DIR) / name
        shutil.copy2(folder / "keys" / name, target)
        target.chmod(0o600)
    call_command("migrate", interactive=False, verbosity=0)
    for cache in caches.all():
        cache.clear()  # kept pages and figures of the data that was replaced
    return manifest, _still_to_do(folder, manifest)


def _still_to_do(folder: Path, manifest: Manifest) -> list[str]:
    notes = []
    if "secret-key" not in manifest.keys:
        notes.append(
            "The backup's secret key came from the environment: set the same SECRET_KEY here, "
            "or sign-in and unsubscribe links sent before the backup will not work."
        )
    elif os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE"):
        key = (folder / "keys" / "secret-key").read_text().strip()
        if key != settings.SECRET_KEY:
            notes.append(
                "SECRET_KEY here differs from the backup's key (keys/secret-key): set it to "
                "that key, or links sent before the backup will not work."
            )
    if "vapid.json" not in manifest.keys:
        notes.append(
            "If the backed-up site sent phone notifications with VAPID keys from the "
            "environment, set the same VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY here."
        )
    if manifest.media.startswith("s3:"):
        notes.append(
            f"Images were in the bucket {manifest.media[3:]}: restore it with the storage's "
            "own tools if it was lost, and set S3_BUCKET."
        )
    notes.append("Start (or restart) the servers and workers now.")
    return notes
