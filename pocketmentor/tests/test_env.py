import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from pocketmentor.lib.env import env_int, env_str


def test_a_variable_can_be_read_from_the_file_its_file_variable_names(monkeypatch, tmp_path):
    (tmp_path / "key").write_text("s3cr3t-from-a-container-secret\n")
    (tmp_path / "size").write_text("250")
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("NUDGES_BATCH_SIZE_FILE", str(tmp_path / "size"))
    assert env_str("SECRET_KEY", "") == "s3cr3t-from-a-container-secret"
    assert env_int("NUDGES_BATCH_SIZE", 100) == 250


def test_a_variable_and_its_file_together_are_refused(monkeypatch, tmp_path):
    (tmp_path / "url").write_text("postgres://a@db/one")
    monkeypatch.setenv("DATABASE_URL", "postgres://a@db/two")
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "url"))
    with pytest.raises(ImproperlyConfigured, match="Set DATABASE_URL or DATABASE_URL_FILE"):
        env_str("DATABASE_URL", "")


def test_a_missing_file_is_named_in_the_error(monkeypatch, tmp_path):
    monkeypatch.setenv("EMAIL_URL_FILE", str(tmp_path / "nope"))
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL_FILE names .*nope"):
        env_str("EMAIL_URL", "console:")


def run_python(code: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Run code in a fresh process with Django set up from this environment, as a server starts."""
    return subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=environment | {"DJANGO_SETTINGS_MODULE": "pocketmentor.settings", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_of(environment: dict[str, str], *names: str) -> list[str]:
    """The settings a fresh process reads from this environment."""
    code = (
        "from django.conf import settings; "
        f"print(*[repr(getattr(settings, n)) for n in {names!r}], sep='\\n')"
    )
    done = run_python(code, environment)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_secret_key_from_a_file_serves_a_real_host_and_nothing_is_generated(tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "key").write_text("k" * 50 + "\n")
    data = tmp_path / "data"
    (key,) = settings_of(
        {
            "DATA_DIR": str(data),
            "ALLOWED_HOSTS": "learn.example",
            "SECRET_KEY_FILE": str(secrets / "key"),
        },
        "SECRET_KEY",
    )
    assert key == repr("k" * 50)
    assert not (data / "secret-key").exists()


def test_vapid_keys_come_from_files_before_the_data_folder(tmp_path):
    (tmp_path / "private").write_text("private-key-from-a-file")
    public, private = settings_of(
        {
            "DATA_DIR": str(tmp_path),
            "VAPID_PUBLIC_KEY": "public",
            "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "private"),
        },
        "VAPID_PUBLIC_KEY",
        "VAPID_PRIVATE_KEY",
    )
    assert (public, private) == ("'public'", "'private-key-from-a-file'")
