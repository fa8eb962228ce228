"""Programs as code, the other way: write a program as a folder that importer.py reads back.

The output is meant to be read, diffed and edited by people: block-style YAML with keys in
a fixed order, `|` blocks for text of several lines, UTF-8 as written, and nothing that
depends on the moment of export, so exporting the same program twice gives the same bytes.
"""

import re
from pathlib import Path

import yaml
from django.db.models import Prefetch

from pocketmentor.programs.importer import (
    UNIT_FILE,
    ActivitySpec,
    CardSpec,
    OptionSpec,
    ProgramSpec,
    RecallSpec,
    ScaleSpec,
    UnitSpec,
    clean_line,
    clean_text,
)
from pocketmentor.programs.models import Activity, Card, Option, Program, RecallQuestion, Unit

# Characters YAML reads as line breaks: in a `|` block or plain text they would come back as
# "\n" or not at all, so text holding them is written double-quoted, where they are escaped.
YAML_BREAKS = re.compile("[\x85\u2028\u2029]")
# A body line that would read as a card line gets a backslash in front; the importer drops it.
LOOKS_LIKE_SEPARATOR = re.compile(r"^\\*\+\+\+", re.MULTILINE)
# URLs end at a space, and `|` starts the caption: both are written percent-encoded.
URL_ESCAPES = {" ": "%20", "|": "%7C"}


def write_program(program: Program, folder: Path) -> None:
    """Write the program to `folder`: program.yaml and unit-01.md, unit-02.md, ..."""
    write_spec(program_spec(program), Path(folder))


def program_spec(program: Program) -> ProgramSpec:
    """The program as the folder holds it: live activities only, everything in position order."""
    units = _units(program)
    return ProgramSpec(
        title=clean_text(program.title),
        slug=program.slug,
        language=program.language,
        description=clean_text(program.description),
        start_date=program.start_date,
        release_time=program.release_time.replace(second=0, microsecond=0),
        time_zone=program.time_zone,
        # The folder numbers units without gaps; the weeks follow the files.
        units=[_unit_spec(unit, number) for number, unit in enumerate(units, start=1)],
    )


def unit_specs(program: Program) -> dict[int, UnitSpec]:
    """Each unit as the folder would hold it, by its week number: what an import compares."""
    return {unit.number: _unit_spec(unit, unit.number) for unit in _units(program)}


def _units(program: Program):
    return program.units.order_by("number").prefetch_related(
        Prefetch("cards", queryset=Card.objects.order_by("position", "pk")),
        Prefetch("recall_questions", queryset=RecallQuestion.objects.order_by("position", "pk")),
        Prefetch(
            "activities",
            queryset=Activity.objects.live()
            .order_by("position", "pk")
            .prefetch_related(
                Prefetch("options", queryset=Option.objects.order_by("position", "pk"))
            ),
        ),
    )


def _unit_spec(unit: Unit, number: int) -> UnitSpec:
    recalled = {q.activity_id for q in unit.recall_questions.all() if q.activity_id}
    return UnitSpec(
        number=number,
        title=clean_text(unit.title),
        summary=clean_text(unit.summary),
        activities=[_activity_spec(activity, recalled) for activity in unit.activities.all()],
        cards=[_card_spec(card) for card in unit.cards.all()],
        recall=[
            RecallSpec(question=clean_text(q.prompt), answer=clean_text(q.answer))
            for q in unit.recall_questions.all()
            if q.activity_id is None
        ],
    )


def _activity_spec(activity: Activity, recalled: set[int]) -> ActivitySpec:
    """What the participant app uses of an activity of this kind, and nothing else."""
    spec = ActivitySpec(kind=activity.kind, prompt=clean_text(activity.prompt))
    if activity.kind == Activity.Kind.QUIZ:
        spec.multiple = activity.multiple
        spec.recall = activity.pk in recalled
    if activity.is_scale:
        spec.scale = ScaleSpec(
            min=activity.scale_min or 0,  # set: is_scale says so
            max=activity.scale_max if activity.scale_max is not None else 5,
            low=clean_text(activity.scale_low),
            high=clean_text(activity.scale_high),
        )
    elif activity.kind in (Activity.Kind.QUIZ, Activity.Kind.POLL):
        quiz = activity.kind == Activity.Kind.QUIZ
        spec.options = [
            OptionSpec(
                text=clean_text(option.text),
                correct=quiz and option.is_correct,
                feedback=clean_text(option.feedback) if quiz else "",
            )
            for option in activity.options.all()
        ]
    return spec


def _card_spec(card: Card) -> CardSpec:
    """What the participant app shows of a card of this kind, and nothing else."""
    kind = card.kind
    return CardSpec(
        kind=kind,
        body=clean_text(card.body),
        url=_link(card.url) if kind in (Card.Kind.IMAGE, Card.Kind.VIDEO) else "",
        caption=clean_line(card.caption) if kind != Card.Kind.TEXT else "",
        captions=_link(card.captions) if kind == Card.Kind.VIDEO else "",
    )


def _link(url: str) -> str:
    return "".join(URL_ESCAPES.get(char, char) for char in url.strip())


def write_spec(spec: ProgramSpec, folder: Path) -> None:
    """Write a program folder; unit files of an earlier export beyond the last unit go."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "program.yaml", render_program_yaml(spec))
    written = set()
    for unit in spec.units:
        name = f"unit-{unit.number:02d}.md"
        _write(folder / name, render_unit(unit))
        written.add(name)
    for path in folder.glob("unit-*.md"):
        if UNIT_FILE.match(path.name) and path.name not in written:
            path.unlink()


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))  # bytes: the same line ends on every platform


def render_program_yaml(spec: ProgramSpec) -> str:
    schedule: dict = {}
    if spec.start_date:
        schedule["start_date"] = spec.start_date
    schedule["release_time"] = _Quoted(spec.release_time.strftime("%H:%M"))
    schedule["timezone"] = spec.time_zone
    data: dict = {"title": spec.title, "slug": spec.slug, "language": spec.language}
    if spec.description:
        data["description"] = spec.description
    data["schedule"] = schedule
    return _dump(data)


def render_unit(unit: UnitSpec) -> str:
    front: dict = {"title": unit.title}
    if unit.summary:
        front["summary"] = unit.summary
    if unit.activities:
        front["activities"] = [_activity_data(activity) for activity in unit.activities]
    if unit.recall:
        front["recall"] = [{"question": r.question, "answer": r.answer} for r in unit.recall]
    cards = [_render_card(card, first=index == 0) for index, card in enumerate(unit.cards)]
    body = "\n\n".join(cards) + "\n" if cards else ""
    return f"---\n{_dump(front)}---\n{body}"


def _activity_data(activity: ActivitySpec) -> dict:
    data: dict = {"kind": activity.kind, "prompt": activity.prompt}
    if activity.kind == "quiz":
        data["multiple"] = activity.multiple
    if activity.recall:
        data["recall"] = True
    if activity.scale:
        data["scale"] = {"min": activity.scale.min, "max": activity.scale.max}
        if activity.scale.low:
            data["scale"]["low"] = activity.scale.low
        if activity.scale.high:
            data["scale"]["high"] = activity.scale.high
    if activity.options:
        data["options"] = [_option_data(option) for option in activity.options]
    return data


def _option_data(option: OptionSpec) -> dict:
    data: dict = {"text": option.text}
    if option.correct:
        data["correct"] = True
    if option.feedback:
        data["feedback"] = option.feedback
    return data


def _render_card(card: CardSpec, *, first: bool) -> str:
    body = LOOKS_LIKE_SEPARATOR.sub(lambda match: "\\" + match[0], card.body)
    if first and card.kind == "text" and body:
        return body  # the text before the first card line is a text card
    line = "+++" if card.kind == "text" else f"+++ {card.kind}"
    if card.url:
        line += f" {card.url}"
    if card.captions:
        line += f" captions={card.captions}"
    if card.caption:
        line += f" | {card.caption}"
    return f"{line}\n{body}" if body else line


class _Quoted(str):
    """Text always written in double quotes: a time reads as text, not as a number."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):
        # Lists indented under their key, the way people write them.
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    tag = "tag:yaml.org,2002:str"
    if isinstance(value, _Quoted) or YAML_BREAKS.search(value):
        return dumper.represent_scalar(tag, str(value), style='"')
    if "\n" in value:
        # With its final line end, a block is written `|` rather than `|-`; import strips it.
        return dumper.represent_scalar(tag, value + "\n", style="|")
    return dumper.represent_scalar(tag, value)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_Quoted, _represent_text)


def _dump(data: dict) -> str:
    # A wide line: long sentences stay on one line, so a change shows as one changed line.
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
