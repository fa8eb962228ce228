"""Typed readers for settings from the environment: malformed values stop start-up.

Every variable VAR may instead be given as VAR_FILE, the path of a file holding its value
(container secrets, systemd credentials); setting both is refused. Each refusal is one
sentence that names the variable, says what is wrong and shows a right value, because the
`pocketmentor` command prints it as the only line an operator sees.
"""

import ipaddress
import os
import re
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_RATE = re.compile(r"\d+/\d*[smhd]")
DATABASE_EXAMPLE = "postgres://pocketmentor:secret@127.0.0.1:5432/pocketmentor"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_raw(name: str) -> str | None:
    """VAR's value, or the contents of the file VAR_FILE names (without the final newline)."""
    value, path = os.environ.get(name), os.environ.get(f"{name}_FILE")
    if path is None:
        return value
    if value is not None:
        raise ImproperlyConfigured(
            f"Set {name} or {name}_FILE, not both; for example only "
            f"{name}_FILE=/run/secrets/{name.lower()}."
        )
    try:
        return Path(path).read_text().rstrip("\r\n")
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE names {path!r}, which cannot be read ({error.strerror}); "
            f"for example {name}_FILE=/run/secrets/{name.lower()}."
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
    raise ImproperlyConfigured(
        f"{name} must be true or false, not {raw!r}; for example {name}={str(default).lower()}."
    )


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Read a whole number within [minimum, maximum]; the default is the example of a right one."""
    raw = env_raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {raw!r}; for example {name}={default}."
        ) from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(
            f"{name} must be at least {minimum}, not {value}; for example {name}={default}."
        )
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(
            f"{name} must be at most {maximum}, not {value}; for example {name}={default}."
        )
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(choices)}, not {value!r}; "
            f"for example {name}={default}."
        )
    return value


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be a time zone name from the tz database, not {value!r}; "
            f"for example {name}={default}."
        ) from None
    return value


def env_rate(name: str, default: str) -> str:
    """Read a rate limit: a number of requests per period (`5/h`, `1000/10m`)."""
    value = env_str(name, default).strip()
    if not _RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must be a number of requests per s, m, h or d, optionally with a count of "
            f"periods, not {value!r}; for example {name}={default}."
        )
    return value


def env_networks(name: str, default: str) -> list[Network]:
    """Read comma-separated addresses and networks (`127.0.0.1`, `10.0.0.0/8`, `::1`)."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks, and {item!r} is neither; "
                f"for example {name}=127.0.0.1,10.0.0.0/8."
            ) from None
    return networks


def env_writable_dir(name: str, default: str) -> Path:
    """Read a folder this process can create and write to."""
    path = Path(env_str(name, default))
    if path.exists() and not path.is_dir():
        raise ImproperlyConfigured(
            f"{name} is {str(path)!r}, which is a file, not a folder; "
            f"for example {name}=/var/lib/pocketmentor."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name} is {str(path)!r}, which cannot be created ({error.strerror}); "
            f"for example {name}=/var/lib/pocketmentor."
        ) from None
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise ImproperlyConfigured(
            f"{name} is {str(path)!r}, which this user cannot write to; give the user the "
            f"folder or choose another, for example {name}=/var/lib/pocketmentor."
        )
    return path


def database_settings(url: str, **options: Any) -> dict[str, Any]:
    """Translate DATABASE_URL into Django's settings; a refusal never repeats the password."""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        shown = f"{scheme}://…" if scheme else repr(url[:20])
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite:///, not {shown}; "
            f"for example DATABASE_URL={DATABASE_EXAMPLE}."
        )
    try:
        config = dj_database_url.parse(url, **options)
        urlsplit(url).port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ImproperlyConfigured(
            "DATABASE_URL is not a well-formed URL (is the port a number, are special "
            "characters in the password percent-encoded?); "
            f"for example DATABASE_URL={DATABASE_EXAMPLE}."
        ) from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(
            f"DATABASE_URL names no database; for example DATABASE_URL={DATABASE_EXAMPLE}."
        )
    return dict(config)


def email_settings(url: str) -> dict[str, object]:
    """Translate EMAIL_URL (smtp://, smtps://, console:, file:///dir) into Django settings."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(
                "EMAIL_URL names no folder after file://; for example EMAIL_URL=file:///tmp/mail."
            )
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parts.path,
        }
    if parts.scheme in {"smtp", "smtps", "submission"}:
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(
                "EMAIL_URL has a port that is not a number; "
                "for example EMAIL_URL=submission://user:password@mail.example.no:587."
            ) from None
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": port or {"smtp": 25, "smtps": 465, "submission": 587}[parts.scheme],
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": parts.scheme == "submission",
        }
    shown = f"{parts.scheme}:…" if parts.scheme else repr(url)
    raise ImproperlyConfigured(
        f"EMAIL_URL must start with smtp://, smtps://, submission://, console: or file://, "
        f"not {shown}; for example EMAIL_URL=submission://user:password@mail.example.no:587."
    )
