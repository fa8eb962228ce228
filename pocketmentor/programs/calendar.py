"""A seminar as an iCalendar file (RFC 5545), for "Add to calendar" on a participant's phone.

Small enough to write out rather than depend on a library: one VEVENT, times in UTC so no
VTIMEZONE is needed, text escaped (section 3.3.11) and lines folded at 75 octets (3.1).
"""

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from markdown_it import MarkdownIt

from pocketmentor.programs.models import Seminar

_parser = MarkdownIt("commonmark", {"html": False})
_LIMIT = 75  # octets per line, not counting the CRLF


def escape(text: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines (CR is dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for plain, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        text = text.replace(plain, escaped)
    return text


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, never inside a UTF-8 character.

    Each continuation line starts with one space, which counts towards its 75.
    """
    parts, current, size = [], "", 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > _LIMIT:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += octets
    parts.append(current)
    return "\r\n".join(parts)


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def plain_text(markdown: str) -> str:
    """The agenda's Markdown as a calendar shows it: the words, list items on their own lines."""
    lines: list[str] = []
    prefix, bullets = "", []
    for token in _parser.parse(markdown or ""):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            bullets.append(0 if token.type == "ordered_list_open" else None)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            bullets.pop()
            if not bullets:
                lines.append("")
        elif token.type == "list_item_open":
            if bullets[-1] is None:
                prefix = "  " * (len(bullets) - 1) + "- "
            else:
                bullets[-1] += 1
                prefix = "  " * (len(bullets) - 1) + f"{bullets[-1]}. "
        elif token.type in ("inline", "fence", "code_block"):
            text = _inline_text(token) if token.type == "inline" else token.content.rstrip("\n")
            lines.append(prefix + text)
            prefix = ""
            if token.type != "inline" and not bullets:
                lines.append("")
        elif token.type in ("paragraph_close", "heading_close") and not bullets:
            lines.append("")
    return "\n".join(lines).strip()


def _inline_text(token) -> str:
    words = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append("\n")
    return "".join(words)


def seminar_ics(seminar: Seminar, *, now: dt.datetime) -> str:
    """The seminar as a calendar with one event; its UID stays the same whenever it is fetched,
    so fetching it again after a change updates the event instead of adding a second one."""
    host = urlsplit(settings.SITE_URL).hostname or "pocketmentor"
    event = [
        ("UID", f"seminar-{seminar.pk}@{host}"),
        ("DTSTAMP", utc(now)),
        ("DTSTART", utc(seminar.starts_at)),
        ("DTEND", utc(seminar.ends_at)),
        ("SUMMARY", escape(seminar.title)),
    ]
    if seminar.place:
        event.append(("LOCATION", escape(seminar.place)))
    if seminar.agenda.strip():
        event.append(("DESCRIPTION", escape(plain_text(seminar.agenda))))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pocketmentor//Seminars//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        *(f"{name}:{value}" for name, value in event),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
