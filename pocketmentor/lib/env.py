"""Typed readers for settings from the environment: malformed values stop start-up.

Every variable VAR may instead be given as VAR_FILE, the path of a file holding its value
(container secrets, systemd credentials); setting both is refused.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_raw(name: str) -> str | None:
    """VAR's value, or the contents of the file VAR_FILE names (without the final newline)."""
    value, path = os.environ.get(name), os.environ.get(f"{name}_FILE")
    if path is None:
        return value
    if value is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    try:
        return Path(path).read_text().rstrip("\r\n")
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE names {path!r}, which cannot be read ({error.strerror})."
        ) from None


def env_str(name: str, default: str) -> str:
    value = env_raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    raw = env_raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env_raw(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def email_settings(url: str) -> dict[str, object]:
    """Translate EMAIL_URL (smtp://, smtps://, console:, file:///dir) into Django settings."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parts.path,
        }
    if parts.scheme in {"smtp", "smtps", "submission"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or {"smtp": 25, "smtps": 465, "submission": 587}[parts.scheme],
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": parts.scheme == "submission",
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL must start with smtp://, smtps://, submission://, console: or file://, "
        f"not {url!r}."
    )
