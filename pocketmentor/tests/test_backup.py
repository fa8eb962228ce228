"""`pocketmentor backup` and `restore`, as an operator runs them: each step its own process."""

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from pocketmentor.bench.database import database_url
from pocketmentor.nudges.tests.conftest import Browser, PushService

ON_POSTGRESQL = connection.vendor == "postgresql"


class Installation:
    """One server's environment: its own data folder, and a database of its own."""

    def __init__(self, data: Path, database: str, push_url: str):
        self.environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "pocketmentor.settings",
            "DATA_DIR": str(data),
            "PUSH_SERVICES": f"{push_url}/*",
        } | ({"DATABASE_URL": database} if database else {})

    def run(self, *arguments: str, stdin: str = "", check: bool = True):
        done = subprocess.run(  # noqa: S603 - this interpreter, our own command
            [sys.executable, *arguments],
            env=self.environment,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check:
            assert done.returncode == 0, done.stderr[-3000:]
        return done

    def pocketmentor(self, *arguments: str, check: bool = True):
        return self.run("-m", "pocketmentor.cli", *arguments, check=check)

    def journey(self, step: str, sent: dict | None = None) -> dict:
        done = self.run("-m", "pocketmentor.tests.backup_journey", step, stdin=json.dumps(sent))
        return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture
def databases():
    """Two empty databases of this test's own: the one backed up, and the one restored into."""
    if not ON_POSTGRESQL:
        yield "", ""
        return
    db = connection.settings_dict
    names = [f"{db['NAME']}_backup_{end}" for end in ("from", "into")]
    admin = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as server:
        for name in names:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{name}"')
    yield tuple(database_url(db | {"NAME": name}) for name in names)
    with psycopg.connect(**admin) as server:
        for name in names:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.mark.timeout(300)  # a dozen processes, each starting Django, two of them migrating
def test_a_restore_on_a_fresh_data_folder_keeps_answers_links_push_and_images(
    tmp_path, databases, push_service
):
    source_db, target_db = databases
    old = Installation(tmp_path / "old", source_db, push_service.url)
    old.pocketmentor("migrate")
    old.pocketmentor("nudges", "vapid")
    sent = old.journey("seed")

    # Someone answers while the backup runs: the copy is one consistent moment either way.
    writer = threading.Thread(
        target=old.run,
        args=("-c", "import django; django.setup(); from pocketmentor.accounts.models import "
              "User; [User.objects.create_user(f'late{n}@fjordvik.example') for n in range(50)]"),
    )  # fmt: skip
    writer.start()
    backup = old.pocketmentor("backup", str(tmp_path / "backup"))
    writer.join()
    assert "keys: secret-key, vapid.json" in backup.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"] == ("postgresql" if ON_POSTGRESQL else "sqlite")
    assert manifest["media"] == "files" and manifest["migrations"]["nudges"]
    shutil.rmtree(tmp_path / "old")  # the machine is gone

    new = Installation(tmp_path / "new", target_db, push_service.url)
    restored = new.pocketmentor("restore", str(tmp_path / "backup"))
    assert "Start (or restart) the servers and workers now." in restored.stdout
    seen = new.journey("check", sent)
    assert seen.pop("image_bytes") > 0
    assert seen == {
        "confirm": 200,  # the link e-mailed before the backup still opens
        "signed_in": 302,  # …and signs in
        "reflection_shown": True,
        "unsubscribe": 200,
        "messages_off": True,
        "vapid_public_key": sent["vapid_public_key"],
        "image": 200,
    }
    [push] = push_service.requests
    assert push["path"] == "/push/anns-phone"
    assert f"k={sent['vapid_public_key']}" in push["headers"]["authorization"]
    phone = Browser("unused")
    phone.key = _key(sent["phone_key"])
    phone.auth = _b64(sent["phone_auth"])
    assert phone.read(push["body"]) == {"title": "Week 2 is open"}  # the phone reads it


@pytest.mark.timeout(300)  # seven processes, each starting Django, one migrating
def test_a_restore_refuses_a_database_that_holds_people_unless_forced(
    tmp_path, databases, push_service
):
    site = Installation(tmp_path / "data", databases[0], push_service.url)
    site.pocketmentor("migrate")
    site.journey("seed")
    site.pocketmentor("backup", str(tmp_path / "backup"))
    refused = site.pocketmentor("backup", str(tmp_path / "backup"), check=False)
    assert "is not empty: back up into a new folder" in refused.stderr

    site.run("-c", "import django; django.setup(); from pocketmentor.accounts.models import "
             "User; User.objects.create_user('kept@fjordvik.example')")  # fmt: skip
    refused = site.pocketmentor("restore", str(tmp_path / "backup"), check=False)
    assert refused.returncode == 1
    assert "The database already holds people: restoring would replace them." in refused.stderr
    people = ["2", "ann@fjordvik.example", "kept@fjordvik.example"]
    assert sorted(site.run("-c", _count_people).stdout.split()) == people
    site.pocketmentor("restore", "--force", str(tmp_path / "backup"))
    assert site.run("-c", _count_people).stdout.split() == ["1", "ann@fjordvik.example"]


_count_people = (
    "import django; django.setup(); from pocketmentor.accounts.models import User; "
    "print(User.objects.count(), *User.objects.values_list('email', flat=True))"
)


def test_a_folder_that_is_no_backup_is_refused(tmp_path):
    stranger = Installation(tmp_path / "data", "", "http://127.0.0.1:9")
    (tmp_path / "photos").mkdir()
    refused = stranger.pocketmentor("restore", str(tmp_path / "photos"), check=False)
    assert "holds no readable manifest.json: it is not a Pocketmentor backup." in refused.stderr


def _key(pem: str):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem.encode(), password=None)


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)
