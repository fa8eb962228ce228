"""Programs as code: read a program folder and check every line of it.

A folder holds program.yaml and one Markdown file per unit: unit-01.md, unit-02.md, ...
A unit file is YAML front matter (title, summary, activities) between `---` lines, then
its cards in Markdown, separated by lines `+++`, `+++ quote | Attribution`,
`+++ image URL | Alt text` or `+++ video URL | Caption` (a video may add
`captions=URL` of a WebVTT file). docs/programs-as-code.md has the whole format;
exporter.py writes it back.

Reading works on YAML nodes rather than loaded values, for two reasons: every node knows
its line, so each problem names file and line; and text is taken as written, so a title
`yes` or `1.0` stays text instead of becoming a boolean or a number.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

ACTIVITY_KINDS = ("reflection", "task", "quiz", "poll")
CARD_KINDS = ("text", "quote", "image", "video")
PROGRAM_KEYS = ("title", "slug", "language", "description", "schedule")
SCHEDULE_KEYS = ("start_date", "release_time", "timezone")
UNIT_KEYS = ("title", "summary", "activities", "recall")
ACTIVITY_KEYS = ("kind", "prompt", "multiple", "options", "scale", "recall")
OPTION_KEYS = ("text", "correct", "feedback")
RECALL_KEYS = ("question", "answer")
# Keys an activity of a kind does not use: only a quiz has several right answers, and only
# a quiz comes back as a recall question.
NOT_FOR_KIND = {
    "reflection": ("multiple", "options", "scale", "recall"),
    "task": ("multiple", "options", "scale", "recall"),
    "quiz": ("scale",),
    "poll": ("multiple", "recall"),
}
SCALE_KEYS = ("min", "max", "low", "high")
DEFAULT_RELEASE_TIME = dt.time(7, 30)
DEFAULT_TIME_ZONE = "Europe/Oslo"
# A scale is a row of buttons on a phone: 0-10 is the widest that still fits.
SCALE_LOWEST, SCALE_HIGHEST = 0, 10
# Ten years of weekly units; the database's week number stays small.
MAX_UNITS = 520
MAX_YAML_DEPTH = 20  # a program's YAML nests four levels deep; 20 leaves room and no RecursionError
MAX_YAML_CHARACTERS = 1_000_000  # one file's YAML: a long program's is some 50 000
# The database's column sizes, so that a long line is a listed problem, not a crash.
MAX_LENGTH = {
    "program title": 200,
    "slug": 50,
    "unit title": 200,
    "summary": 300,
    "caption": 300,
    "url": 200,
    "captions": 500,
    "option text": 300,
    "scale label": 80,
}
UNIT_FILE = re.compile(r"^unit-(\d+)\.md$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
WHOLE_NUMBER = re.compile(r"^[0-9]+$")
# A word like captions=URL on a card line.
CARD_SETTING = re.compile(r"^([a-z_]+)=(.*)$")
# A body line that would read as a card line is written with a backslash in front.
ESCAPED_SEPARATOR = re.compile(r"^\\+\+\+\+")
NULL_TAG = "tag:yaml.org,2002:null"
INT_TAG = "tag:yaml.org,2002:int"
BOOL_TAG = "tag:yaml.org,2002:bool"


class ProgramFolderError(Exception):
    """A program folder (or zip) that cannot be imported, with every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class CardSpec:
    kind: str
    body: str
    url: str = ""
    caption: str = ""
    captions: str = ""  # a video's WebVTT captions file


@dataclass
class OptionSpec:
    text: str
    correct: bool = False
    feedback: str = ""


@dataclass
class ScaleSpec:
    min: int
    max: int
    low: str = ""
    high: str = ""


@dataclass
class ActivitySpec:
    kind: str
    prompt: str
    multiple: bool = False
    options: list[OptionSpec] = field(default_factory=list)
    scale: ScaleSpec | None = None
    recall: bool = False  # a quiz used again as a recall question

    @property
    def shape(self) -> str:
        """What an answer to it looks like: a scale poll and a choice poll differ."""
        return "poll-scale" if self.kind == "poll" and self.scale else self.kind


@dataclass
class RecallSpec:
    """A key point asked again in later weeks: a question, and the answer shown after."""

    question: str
    answer: str


@dataclass
class UnitSpec:
    number: int
    title: str
    summary: str = ""
    activities: list[ActivitySpec] = field(default_factory=list)
    cards: list[CardSpec] = field(default_factory=list)
    recall: list[RecallSpec] = field(default_factory=list)


@dataclass
class ProgramSpec:
    title: str
    slug: str
    language: str
    description: str = ""
    start_date: dt.date | None = None
    release_time: dt.time = DEFAULT_RELEASE_TIME
    time_zone: str = DEFAULT_TIME_ZONE
    units: list[UnitSpec] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import changed, for the command line and the studio to tell."""

    created: bool = False
    units_created: int = 0
    units_updated: int = 0
    units_unchanged: int = 0  # kept in place with the same content
    units_published: int = 0
    units_deleted: list[int] = field(default_factory=list)
    units_unpublished: list[int] = field(default_factory=list)
    activities_created: int = 0
    activities_updated: int = 0
    activities_unchanged: int = 0
    activities_deleted: int = 0
    activities_removed: int = 0
    options_kept: int = 0


def clean_text(value: str) -> str:
    """Text as the folder holds it: Unix line ends, no surrounding blank space.

    Import and export both pass every text through here, so they agree on what is kept.
    """
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_line(value: str) -> str:
    """A caption sits on its card's `+++` line, so it is one line."""
    return " ".join(clean_text(value).split("\n")).strip()


def read_program(folder: Path) -> ProgramSpec:
    """Parse and check a program folder; raise ProgramFolderError listing every problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ProgramFolderError([_("%(folder)s: not a folder") % {"folder": _name(folder)}])
    meta = _File("program.yaml")
    spec = _read_program_yaml(folder / "program.yaml", meta)
    naming: list[str] = []
    paths = _unit_paths(folder, naming)
    unit_files = [_File(path.name) for path in paths.values()]
    spec.units = [
        unit
        for (number, path), file in zip(paths.items(), unit_files, strict=True)
        if (unit := _read_unit(path, number, file))
    ]
    # File by file, as a person would work through them: program.yaml, then unit-01.md, ...
    errors = meta.messages() + sorted(
        naming + [message for file in unit_files for message in file.messages()],
        key=lambda message: re.split(r"[: ]", message, maxsplit=1)[0],
    )
    if errors:
        raise ProgramFolderError(errors)
    return spec


class _File:
    """The problems found in one file, each with its line when there is one."""

    def __init__(self, name: str, offset: int = 1):
        self.name = name
        self.offset = offset  # the file line of the YAML text's first line
        self.problems: list[tuple[int, str]] = []

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + self.offset

    def error(self, where: "yaml.Node | int | None", message: str) -> None:
        line = self.line(where) if isinstance(where, yaml.Node) else where
        self.problems.append((line or 0, message))

    def messages(self) -> list[str]:
        # Sorted by line, so a person can work down the file; the sort keeps equal lines' order.
        ordered = sorted(self.problems, key=lambda problem: problem[0])
        return [
            _("%(file)s line %(line)s: %(problem)s") % {"file": self.name, "line": n, "problem": m}
            if n
            else f"{self.name}: {m}"
            for n, m in ordered
        ]


class _Loader(yaml.SafeLoader):
    """Composes YAML nodes; refuses aliases, which could make a small file expand hugely, and
    nesting deeper than a program needs, which would exhaust the stack."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", mark)
        if self.depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None,
                None,
                _("nested deeper than %(max)s levels") % {"max": MAX_YAML_DEPTH},
                mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _read_text(path: Path, file: _File) -> str | None:
    """The file's text with Unix line ends, or None (and a problem) if it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        file.error(None, _("missing"))
        return None
    except OSError as exc:
        file.error(None, _("cannot be read (%(reason)s)") % {"reason": exc.strerror})
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        file.error(data[: exc.start].count(b"\n") + 1, _("not UTF-8 text; save it as UTF-8"))
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _compose(text: str, file: _File) -> yaml.Node | None | bool:
    """The YAML's top node (None when empty), or False once its problem is listed."""
    if len(text) > MAX_YAML_CHARACTERS:
        file.error(
            None,
            _("the YAML is longer than %(max)s characters; shorten it")
            % {"max": f"{MAX_YAML_CHARACTERS:,}".replace(",", " ")},
        )
        return False
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        file.error(
            mark.line + file.offset if mark else None,
            _("bad YAML (%(problem)s)") % {"problem": exc.problem},
        )
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + file.offset
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        file.error(
            line, _("bad YAML (the character %(code)s is not allowed)") % {"code": f"U+{code:04X}"}
        )
    except yaml.YAMLError as exc:
        file.error(None, _("bad YAML (%(problem)s)") % {"problem": exc})
    return False


# Field readers: each takes the mapping of key -> (key node, value node) that _fields
# returns, reports what is wrong with the field, and returns a usable value regardless.


def _fields(
    file: _File, node: yaml.Node | None, allowed: tuple[str, ...], what: str
) -> dict | None:
    """A mapping's fields by key, reporting unknown, repeated and non-text keys.

    None when the node is no mapping: that is reported once, and its fields go unchecked
    rather than each reported missing.
    """
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
        return {}
    if not isinstance(node, yaml.MappingNode):
        file.error(node, _("%(what)s must be keys and values") % {"what": what})
        return None
    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name not in allowed:
            file.error(
                key,
                _("unknown key '%(key)s'") % {"key": name} if name else _("a key must be a word"),
            )
        elif name in fields:
            file.error(key, _("%(key)s is given twice") % {"key": name})
        else:
            fields[name] = (key, value)
    return fields


def _text(file: _File, fields: dict, key: str, *, limit: str | None = None) -> str:
    if key not in fields:
        return ""
    key_node, node = fields[key]
    if not isinstance(node, yaml.ScalarNode):
        file.error(key_node, _("%(key)s must be text") % {"key": key})
        return ""
    text = "" if node.tag == NULL_TAG else clean_text(node.value)
    if limit and len(text) > MAX_LENGTH[limit]:
        file.error(
            key_node,
            _("%(key)s is longer than %(limit)s characters")
            % {"key": key, "limit": MAX_LENGTH[limit]},
        )
    return text


def _required_text(file: _File, fields: dict, key: str, missing_at: int | yaml.Node, **kw) -> str:
    text = _text(file, fields, key, **kw)
    if not text and (key not in fields or isinstance(fields[key][1], yaml.ScalarNode)):
        file.error(
            fields[key][0] if key in fields else missing_at, _("missing %(key)s") % {"key": key}
        )
    return text


def _bool(file: _File, fields: dict, key: str) -> bool:
    if key not in fields:
        return False
    key_node, node = fields[key]
    if isinstance(node, yaml.ScalarNode) and node.tag == BOOL_TAG:
        return yaml.SafeLoader.bool_values[node.value.lower()]
    file.error(key_node, _("%(key)s must be true or false") % {"key": key})
    return False


def _whole_number(file: _File, fields: dict, key: str, what: str) -> int | None:
    if key not in fields:
        return None
    key_node, node = fields[key]
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    if node.tag == INT_TAG and WHOLE_NUMBER.match(value):
        return int(value)
    file.error(
        key_node, _("%(what)s %(key)s must be a whole number like 1") % {"what": what, "key": key}
    )
    return None


def _items(file: _File, fields: dict, key: str) -> list[yaml.Node]:
    if key not in fields:
        return []
    key_node, node = fields[key]
    if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
        return []
    if not isinstance(node, yaml.SequenceNode):
        file.error(key_node, _("%(key)s must be a list, one `- ` line per item") % {"key": key})
        return []
    return node.value


# program.yaml


def _read_program_yaml(path: Path, file: _File) -> ProgramSpec:
    text = _read_text(path, file)
    node = _compose(text, file) if text is not None else False
    fields = _fields(file, node, PROGRAM_KEYS, "program.yaml") if node is not False else None
    if fields is None:
        return ProgramSpec(title="", slug="", language="")
    start = node or 1
    spec = ProgramSpec(
        title=_required_text(file, fields, "title", start, limit="program title"),
        slug=_slug(file, fields, start),
        language=_language(file, fields, start),
        description=_text(file, fields, "description"),
    )
    _read_schedule(file, fields, spec)
    return spec


def _slug(file: _File, fields: dict, start: "yaml.Node | int") -> str:
    slug = _required_text(file, fields, "slug", start, limit="slug")
    if slug and not SLUG.match(slug):
        file.error(
            fields["slug"][0], _("slug must be letters, digits, - and _ only, like leadership")
        )
    return slug


def _language(file: _File, fields: dict, start: "yaml.Node | int") -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    language = _required_text(file, fields, "language", start)
    if language and language not in codes:
        file.error(
            fields["language"][0],
            _("language must be one of %(codes)s") % {"codes": ", ".join(codes)},
        )
    return language


def _read_schedule(file: _File, fields: dict, spec: ProgramSpec) -> None:
    node = fields["schedule"][1] if "schedule" in fields else None
    schedule = _fields(file, node, SCHEDULE_KEYS, "schedule") or {}
    start_date = _text(file, schedule, "start_date")
    if start_date:
        spec.start_date = _date(start_date)
        if spec.start_date is None:
            file.error(schedule["start_date"][0], _("start_date must be a date like 2026-01-05"))
    release_time = _text(file, schedule, "release_time")
    if release_time:
        parsed = _time(release_time)
        if parsed is None:
            file.error(schedule["release_time"][0], _("release_time must be a time like 07:30"))
        spec.release_time = parsed or DEFAULT_RELEASE_TIME
    time_zone = _text(file, schedule, "timezone")
    if time_zone:
        spec.time_zone = time_zone
        if not _is_time_zone(time_zone):
            file.error(
                schedule["timezone"][0],
                _("unknown time zone '%(zone)s' (like Europe/Oslo)") % {"zone": time_zone},
            )


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if DATE.match(value) else None
    except ValueError:
        return None


def _time(value: str) -> dt.time | None:
    match = TIME.match(value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return dt.time(int(match[1]), int(match[2]))


def _is_time_zone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        return False
    return True


# Unit files


def _unit_paths(folder: Path, errors: list[str]) -> dict[int, Path]:
    """The unit files by number; they must run unit-01.md, unit-02.md, ... without gaps."""
    paths: dict[int, Path] = {}
    for path in sorted(folder.glob("unit-*.md")):
        match = UNIT_FILE.match(path.name)
        number = int(match[1]) if match else 0
        if not match:
            errors.append(
                _("%(file)s: not a unit file name; name unit files like unit-01.md")
                % {"file": path.name}
            )
        elif number == 0:
            errors.append(_("%(file)s: units are numbered from unit-01.md") % {"file": path.name})
        elif number > MAX_UNITS:
            errors.append(
                _("%(file)s: a program has at most %(count)s units")
                % {"file": path.name, "count": MAX_UNITS}
            )
        elif number in paths:
            errors.append(
                _("%(file)s: unit %(number)s again, as %(other)s; keep one")
                % {"file": path.name, "number": number, "other": paths[number].name}
            )
        else:
            paths[number] = path
    if not paths and not errors:
        errors.append(
            _("%(folder)s: no unit files; the first is unit-01.md") % {"folder": _name(folder)}
        )
    errors.extend(
        _("%(files)s: missing; units are numbered without gaps") % {"files": gap}
        for gap in _gaps(paths)
    )
    return dict(sorted(paths.items()))


def _gaps(paths: dict[int, Path]) -> list[str]:
    """The missing unit files, a run of them as one: unit-03.md, unit-05.md to unit-09.md."""
    missing = [number for number in range(1, max(paths, default=0)) if number not in paths]
    runs: list[list[int]] = []
    for number in missing:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return [
        (_("%(first)s to %(last)s") if len(run) > 1 else "%(first)s")
        % {"first": f"unit-{run[0]:02d}.md", "last": f"unit-{run[-1]:02d}.md"}
        for run in runs
    ]


def _name(folder: Path) -> str:
    return folder.name or str(folder)


def _read_unit(path: Path, number: int, file: _File) -> UnitSpec | None:
    text = _read_text(path, file)
    if text is None:
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        file.error(1, _("must start with a --- line, then the front matter, then another --- line"))
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        file.error(1, _("the front matter has no closing --- line"))
        return None
    file.offset = 2  # the front matter starts on the file's second line
    node = _compose("\n".join(lines[1:end]), file)
    fields = _fields(file, node, UNIT_KEYS, _("the front matter")) if node is not False else None
    cards = _read_cards(file, lines[end + 1 :], first_line=end + 2)
    if fields is None:
        return UnitSpec(number=number, title="", cards=cards)
    return UnitSpec(
        number=number,
        title=_required_text(file, fields, "title", node or 2, limit="unit title"),
        summary=_text(file, fields, "summary", limit="summary"),
        activities=[_read_activity(file, item) for item in _items(file, fields, "activities")],
        cards=cards,
        recall=[_read_recall(file, item) for item in _items(file, fields, "recall")],
    )


def _read_recall(file: _File, node: yaml.Node) -> RecallSpec:
    fields = _fields(file, node, RECALL_KEYS, _("a recall question"))
    if fields is None:
        return RecallSpec(question="", answer="")
    return RecallSpec(
        question=_required_text(file, fields, "question", node),
        answer=_required_text(file, fields, "answer", node),
    )


def _read_activity(file: _File, node: yaml.Node) -> ActivitySpec:
    fields = _fields(file, node, ACTIVITY_KEYS, _("an activity"))
    if fields is None:
        return ActivitySpec(kind="", prompt="")
    kind = _text(file, fields, "kind")
    if not kind:
        file.error(node, _("missing kind (reflection, task, quiz or poll)"))
    elif kind not in ACTIVITY_KINDS:
        file.error(
            fields["kind"][0],
            _("unknown activity kind '%(kind)s' (reflection, task, quiz or poll)") % {"kind": kind},
        )
    activity = ActivitySpec(
        kind=kind,
        prompt=_required_text(file, fields, "prompt", node),
        multiple=_bool(file, fields, "multiple"),
        options=[_read_option(file, item, kind) for item in _items(file, fields, "options")],
        scale=_read_scale(file, fields["scale"]) if "scale" in fields else None,
        recall=_bool(file, fields, "recall"),
    )
    _check_activity(file, node, fields, activity)
    return activity


def _check_activity(file: _File, node: yaml.Node, fields: dict, activity: ActivitySpec) -> None:
    """The rules that tie an activity's fields to its kind."""
    kind, options = activity.kind, activity.options
    if kind not in ACTIVITY_KINDS:
        return
    for key in NOT_FOR_KIND[kind]:
        if key in fields:
            file.error(
                fields[key][0], _("a %(kind)s takes no %(key)s") % {"kind": kind, "key": key}
            )
    right = sum(option.correct for option in options)
    if kind == "quiz" and right == 0:
        file.error(node, _("a quiz needs at least one right answer"))
    elif kind == "quiz" and right > 1 and not activity.multiple:
        file.error(
            node, _("a single-choice quiz has one right answer; add multiple: true for more")
        )
    elif kind == "poll" and options and "scale" in fields:
        file.error(node, _("a poll needs either a scale or options, not both"))
    elif kind == "poll" and not options and "scale" not in fields:
        file.error(node, _("a poll needs a scale or options"))


def _read_option(file: _File, node: yaml.Node, kind: str) -> OptionSpec:
    fields = _fields(file, node, OPTION_KEYS, _("an option"))
    if fields is None:
        return OptionSpec(text="")
    option = OptionSpec(
        text=_required_text(file, fields, "text", node, limit="option text"),
        correct=_bool(file, fields, "correct"),
        feedback=_text(file, fields, "feedback"),
    )
    # A poll asks for opinions: nobody is right, so there is no feedback either.
    if kind == "poll":
        for key in ("correct", "feedback"):
            if key in fields:
                file.error(fields[key][0], _("a poll option takes no %(key)s") % {"key": key})
    return option


def _read_scale(file: _File, entry: tuple[yaml.Node, yaml.Node]) -> ScaleSpec:
    key_node, node = entry
    fields = _fields(file, node, SCALE_KEYS, "scale")
    if fields is None:
        return ScaleSpec(min=1, max=5)
    low = _whole_number(file, fields, "min", "scale")
    high = _whole_number(file, fields, "max", "scale")
    for key, value in (("min", low), ("max", high)):
        if key not in fields:
            file.error(key_node, _("scale needs %(key)s") % {"key": key})
        elif value is not None and not SCALE_LOWEST <= value <= SCALE_HIGHEST:
            file.error(
                fields[key][0],
                _("scale %(key)s must be from %(low)s to %(high)s")
                % {"key": key, "low": SCALE_LOWEST, "high": SCALE_HIGHEST},
            )
    if low is not None and high is not None and low >= high:
        file.error(key_node, _("scale min must be less than max"))
    return ScaleSpec(
        min=low if low is not None else 1,
        max=high if high is not None else 5,
        low=_text(file, fields, "low", limit="scale label"),
        high=_text(file, fields, "high", limit="scale label"),
    )


# Cards: the Markdown below the front matter


@dataclass
class _CardLine:
    kind: str = "text"
    url: str = ""
    caption: str = ""
    captions: str = ""
    line: int = 0  # 0: the text before the first +++ line, which needs no card line


def _read_cards(file: _File, lines: list[str], first_line: int) -> list[CardSpec]:
    cards: list[CardSpec] = []
    head, body = _CardLine(), []
    for number, line in enumerate(lines, start=first_line):
        if line.startswith("+++"):
            _add_card(file, cards, head, body)
            head, body = _card_line(file, line, number), []
        else:
            body.append(line[1:] if ESCAPED_SEPARATOR.match(line) else line)
    _add_card(file, cards, head, body)
    return cards


def _card_line(file: _File, line: str, number: int) -> _CardLine:
    """`+++ [kind [URL] [captions=URL]] [| caption]`; see the module's docstring."""
    words, _bar, caption = line[3:].partition("|")
    head = _CardLine(caption=clean_line(caption), line=number)
    if words[:1] not in ("", " ", "\t"):
        file.error(number, _("a card line is +++ and a space, then the card's kind"))
        return head
    kind, *rest = words.split() or ["text"]
    head.kind = kind
    if kind not in CARD_KINDS:
        file.error(
            number, _("unknown card kind '%(kind)s' (quote, image or video)") % {"kind": kind}
        )
        return head
    links = []
    for word in rest:
        setting = CARD_SETTING.match(word)
        if not setting:
            links.append(word)
        elif setting[1] == "captions" and kind == "video":
            head.captions = setting[2]
        else:
            file.error(
                number,
                _("unknown card setting '%(setting)s=' (a video takes captions=)")
                % {"setting": setting[1]},
            )
    head.url = links[0] if links else ""
    if len(links) > 1:
        file.error(number, _("too many words before |; a link has no spaces"))
    else:
        _check_card_line(file, head)
    return head


def _check_card_line(file: _File, head: _CardLine) -> None:
    kind, number = head.kind, head.line
    if kind in ("image", "video") and not head.url:
        example = _("an image card needs a URL: +++ image https://… | Alt text")
        if kind == "video":
            example = _("a video card needs a URL: +++ video https://… | Caption")
        file.error(number, example)
    elif kind in ("text", "quote") and head.url:
        file.error(number, _("a %(kind)s card takes no URL") % {"kind": kind})
    for link, limit in ((head.url, MAX_LENGTH["url"]), (head.captions, MAX_LENGTH["captions"])):
        if len(link) > limit:
            file.error(number, _("a link is longer than %(limit)s characters") % {"limit": limit})
        elif link and not _is_link(link):
            file.error(
                number,
                _("'%(link)s' is not a link starting with https:// or %(media)s")
                % {"link": link, "media": _media_path()},
            )
    if kind == "text" and head.caption:
        file.error(number, _("a text card takes nothing after |"))
    if len(head.caption) > MAX_LENGTH["caption"]:
        file.error(
            number,
            _("the text after | is longer than %(limit)s characters")
            % {"limit": MAX_LENGTH["caption"]},
        )


def _media_path() -> str:
    return settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else "/media/"


def _is_link(url: str) -> bool:
    """A web address, or a file the studio uploaded to this site (as the studio allows)."""
    if url.startswith(_media_path()):
        return ".." not in url.split("/")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True


def _add_card(file: _File, cards: list[CardSpec], head: _CardLine, lines: list[str]) -> None:
    body = clean_text("\n".join(lines))
    if not head.line and not body:
        return  # nothing before the first +++ line
    if head.kind in ("text", "quote") and not body:
        file.error(
            head.line, _("an empty card: write its text below this line, or remove the line")
        )
    cards.append(
        CardSpec(head.kind, body, url=head.url, caption=head.caption, captions=head.captions)
    )
