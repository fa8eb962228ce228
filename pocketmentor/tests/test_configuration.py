"""A wrong setting stops the `pocketmentor` command with one line, as an operator sees it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pocketmentor.bench.load import free_port
from pocketmentor.lib.env import env_int

POCKETMENTOR = str(Path(sys.executable).with_name("pocketmentor"))


def run(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run the command with a laptop's environment (no settings but DATA_DIR) plus `env`."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    base |= {"DATA_DIR": str(tmp_path / "data")} | env
    return subprocess.run(  # noqa: S603 - our own command
        [POCKETMENTOR, *args], env=base, capture_output=True, text=True, timeout=120
    )


def assert_one_line_naming(result: subprocess.CompletedProcess, variable: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"pocketmentor: {variable} ")
    assert f"for example {variable}=" in lines[0]  # and how a right value looks
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("NUDGES_BATCH_SIZE", "0", "must be at least 1, not 0"),
        ("NUDGES_WORKER_INTERVAL", "soon", "must be a whole number, not 'soon'"),
        ("PORT", "70000", "must be at most 65535"),
        ("TIME_ZONE", "Europe/Fjordvik", "must be a time zone name"),
        ("LANGUAGE_CODE", "fr", "must be one of en, nb, not 'fr'"),
        ("EMAIL_URL", "pigeon://coop", "must start with smtp://"),
        ("DATABASE_URL", "mysql://pm@db/pm", "must start with postgres:// or sqlite:///"),
        ("TRUSTED_PROXIES", "proxy.internal", "'proxy.internal' is neither"),
        ("RATELIMIT_LINK_PER_ADDRESS", "many", "must be a number of requests per"),
        ("SITE_URL", "learn.fjordvik.example", "must start with https://"),
        ("DEBUG", "maybe", "must be true or false"),
    ],
)
def test_a_malformed_variable_stops_start_up_with_one_line(tmp_path, variable, value, says):
    line = assert_one_line_naming(run("check", tmp_path=tmp_path, **{variable: value}), variable)
    assert says in line


def test_a_malformed_database_url_is_refused_without_showing_its_password(tmp_path):
    url = "postgres://pocketmentor:hunter2@db.internal:five/pocketmentor"
    line = assert_one_line_naming(run("check", tmp_path=tmp_path, DATABASE_URL=url), "DATABASE_URL")
    assert "not a well-formed URL" in line
    assert "hunter2" not in line


def test_a_data_folder_that_cannot_be_written_stops_start_up(tmp_path):
    taken = tmp_path / "a-file"
    taken.write_text("")
    line = assert_one_line_naming(run("check", tmp_path=tmp_path, DATA_DIR=str(taken)), "DATA_DIR")
    assert "is a file, not a folder" in line
    below = assert_one_line_naming(
        run("check", tmp_path=tmp_path, DATA_DIR=str(taken / "data")), "DATA_DIR"
    )
    assert "cannot be created" in below


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_database_that_does_not_answer_stops_serve_and_worker(tmp_path, command):
    url = f"postgres://pocketmentor:hunter2@127.0.0.1:{free_port()}/pocketmentor"
    result = run(command, tmp_path=tmp_path, DATABASE_URL=url)
    line = assert_one_line_naming(result, "DATABASE_URL")
    assert "does not answer" in line and "Connection refused" in line
    assert "hunter2" not in line


def test_a_sqlite_file_that_cannot_be_opened_stops_the_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite3'}"
    line = assert_one_line_naming(
        run("worker", tmp_path=tmp_path, DATABASE_URL=url), "DATABASE_URL"
    )
    assert "unable to open database file" in line


def test_numbers_out_of_range_are_refused_by_name(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("NUDGES_BATCH_SIZE", "20000")
    with pytest.raises(ImproperlyConfigured, match="NUDGES_BATCH_SIZE must be at most 10000"):
        env_int("NUDGES_BATCH_SIZE", 100, minimum=1, maximum=10_000)
    monkeypatch.setenv("NUDGES_BATCH_SIZE", "1")
    assert env_int("NUDGES_BATCH_SIZE", 100, minimum=1, maximum=10_000) == 1
