"""Programs as code: a folder with program.yaml and one Markdown file per unit.

A unit file is YAML front matter (title, summary, activities) between `---` lines, then
its cards in Markdown, separated by lines `+++`, `+++ quote | Attribution`,
`+++ image URL | Alt text` or `+++ video URL | Caption`.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CARD_SEPARATOR = re.compile(r"^\+\+\+(?:[ \t]+(\w+))?(?:[ \t]+([^|\s]+))?(?:[ \t]*\|[ \t]*(.*))?$")


class ProgramFolderError(Exception):
    """A program folder that cannot be imported, with every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class CardSpec:
    kind: str
    body: str
    url: str = ""
    caption: str = ""


@dataclass
class UnitSpec:
    number: int
    title: str
    summary: str
    activities: list[dict]
    cards: list[CardSpec] = field(default_factory=list)


@dataclass
class ProgramSpec:
    title: str
    slug: str
    language: str
    description: str
    release_time: dt.time
    time_zone: str
    units: list[UnitSpec]


def read_program(folder: Path) -> ProgramSpec:
    """Parse a program folder, or raise ProgramFolderError listing every problem with its file."""
    errors: list[str] = []
    meta = _yaml(folder / "program.yaml", errors) or {}
    for key in ("title", "slug", "language"):
        if not meta.get(key):
            errors.append(f"program.yaml: missing {key}")
    schedule = meta.get("schedule") or {}
    try:
        release_time = dt.time.fromisoformat(str(schedule.get("release_time", "07:30")))
    except ValueError:
        errors.append("program.yaml: release_time must be HH:MM")
        release_time = dt.time(7, 30)
    units = []
    for number, path in enumerate(sorted(folder.glob("unit-*.md")), start=1):
        unit = _read_unit(path, number, errors)
        if unit:
            units.append(unit)
    if not units and not errors:
        errors.append(f"{folder.name}: no unit-*.md files")
    if errors:
        raise ProgramFolderError(errors)
    return ProgramSpec(
        title=meta["title"],
        slug=meta["slug"],
        language=meta["language"],
        description=meta.get("description", ""),
        release_time=release_time,
        time_zone=schedule.get("timezone", "Europe/Oslo"),
        units=units,
    )


def _yaml(path: Path, errors: list[str], text: str | None = None, offset: int = 0):
    try:
        return yaml.safe_load(text if text is not None else path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        errors.append(f"{path.name}: missing")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1 + offset}" if mark else ""
        errors.append(f"{path.name}{line}: bad YAML ({getattr(exc, 'problem', exc)})")
    return None


def _read_unit(path: Path, number: int, errors: list[str]) -> UnitSpec | None:
    text = path.read_text(encoding="utf-8")
    parts = text.split("\n---\n", 1) if text.startswith("---\n") else None
    if not parts or len(parts) != 2:
        errors.append(f"{path.name} line 1: must start with front matter between --- lines")
        return None
    front = _yaml(path, errors, parts[0][4:], offset=1)
    if not isinstance(front, dict):
        return None
    if not front.get("title"):
        errors.append(f"{path.name}: missing title")
    activities = front.get("activities") or []
    for index, activity in enumerate(activities, start=1):
        where = f"{path.name}: activity {index}"
        kind = activity.get("kind")
        if kind not in {"reflection", "task", "quiz", "poll"}:
            errors.append(f"{where}: kind must be reflection, task, quiz or poll")
        if not activity.get("prompt"):
            errors.append(f"{where}: missing prompt")
        options = activity.get("options") or []
        if kind == "quiz" and not any(o.get("correct") for o in options):
            errors.append(f"{where}: a quiz needs at least one right answer")
        if kind == "poll" and not options and not activity.get("scale"):
            errors.append(f"{where}: a poll needs a scale or options")
    unit = UnitSpec(number, front.get("title", ""), front.get("summary", ""), activities)
    kind, url, caption, lines = "text", "", "", []
    for line in parts[1].splitlines():
        match = CARD_SEPARATOR.match(line)
        if not match:
            lines.append(line)
            continue
        if "\n".join(lines).strip():
            unit.cards.append(CardSpec(kind, "\n".join(lines).strip(), url, caption))
        kind, url, caption, lines = match[1] or "text", match[2] or "", match[3] or "", []
    if "\n".join(lines).strip() or kind != "text":
        unit.cards.append(CardSpec(kind, "\n".join(lines).strip(), url, caption))
    return unit
