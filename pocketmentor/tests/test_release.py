"""Release steps: migrations one node at a time, and a deployment Django's checks call clean."""

import json
import os
import re
import secrets
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from pocketmentor.bench.database import database_url

POCKETMENTOR = str(Path(sys.executable).with_name("pocketmentor"))
MIGRATE = (
    "import sys; from pocketmentor.lib.startup import migrate_under_lock; "
    "migrate_under_lock(stdout=sys.stdout)"
)


def environment(tmp_path: Path, **env: str) -> dict[str, str]:
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    return base | {"DATA_DIR": str(tmp_path / "data")} | env


@pytest.fixture
def empty_database(tmp_path, django_db_blocker):
    """An empty database of the suite's kind, which other processes can open; its URL."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'release.sqlite3'}"
        return
    db = dict(connection.settings_dict, NAME=f"{connection.settings_dict['NAME']}_release")
    admin = dict(db, NAME="postgres")
    with django_db_blocker.unblock(), psycopg.connect(database_url(admin), autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{db["NAME"]}"')
        try:
            yield database_url(db)
        finally:
            pg.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


def test_two_nodes_migrating_at_once_take_turns(tmp_path, empty_database):
    env = environment(tmp_path, DATABASE_URL=empty_database)
    nodes = [
        subprocess.Popen(  # noqa: S603 - our own command
            [POCKETMENTOR, "shell", "-c", MIGRATE],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [node.communicate(timeout=300) for node in nodes]
    for node, (out, err) in zip(nodes, outputs, strict=True):
        assert node.returncode == 0, out + err
    applied = Counter(
        name for out, _ in outputs for name in re.findall(r"Applying (\S+)\.\.\. OK", out)
    )
    # The plan for an empty database (a squashed migration in place of those it replaces).
    every = {f"{app}.{name}" for app, name in MigrationLoader(None).graph.nodes}
    assert set(applied) == every and set(applied.values()) == {1}  # each once, by one node
    waited = [out for out, _ in outputs if "waiting for it" in out]
    assert len(waited) <= 1 and all("No migrations to apply" in out for out in waited)


def production(tmp_path: Path) -> dict[str, str]:
    """The production settings docs/configuration.md documents (PostgreSQL aside)."""
    return environment(
        tmp_path,
        SITE_URL="https://learn.fjordvik.example",
        ALLOWED_HOSTS="learn.fjordvik.example,127.0.0.1",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEFAULT_FROM_EMAIL="Fjordvik kommune <learning@fjordvik.example>",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),  # not reached
    )


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    result = subprocess.run(  # noqa: S603 - our own command
        [POCKETMENTOR, "check", "--deploy", "--fail-level", "WARNING"],
        env=production(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


REQUESTS = """
import json
from django.test import Client
host = {"HTTP_HOST": "learn.fjordvik.example"}
plain = Client().get("/login/new/", **host)
health = Client().get("/healthz", HTTP_HOST="127.0.0.1")
proxied = Client(headers={"x-forwarded-proto": "https"}).get("/login/new/", **host)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "health": health.status_code,
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security")],
}))
"""


def test_an_https_site_redirects_to_https_and_asks_for_hsts_but_health_checks_stay_plain(
    tmp_path,
):
    result = subprocess.run(  # noqa: S603 - our own command
        [POCKETMENTOR, "shell", "-c", REQUESTS],
        env=production(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://learn.fjordvik.example/login/new/"]
    assert seen["health"] == 200  # a health check on loopback speaks plain HTTP
    assert seen["proxied"] == [200, "max-age=31536000; includeSubDomains"]
