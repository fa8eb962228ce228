"""Writing programs as folders, and reading them back to the same program."""

import datetime as dt
import itertools
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pocketmentor.conftest import NOW
from pocketmentor.orgs.models import Organization
from pocketmentor.programs.exporter import program_spec, write_program
from pocketmentor.programs.importer import (
    ActivitySpec,
    CardSpec,
    OptionSpec,
    ProgramSpec,
    ScaleSpec,
    UnitSpec,
    clean_line,
    clean_text,
    read_program,
)
from pocketmentor.programs.models import Activity, Card, Option, Program, Unit
from pocketmentor.programs.services import LIBRARY, program_export, program_import

TEMPLATES = sorted(LIBRARY.glob("*/*"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def new_org(slug: str) -> Organization:
    return Organization.objects.create(name=slug.title(), slug=slug)


# The shipped templates


@pytest.mark.parametrize(
    "template", TEMPLATES, ids=[f"{path.parent.name}/{path.name}" for path in TEMPLATES]
)
def test_template_import_export_import_export_is_byte_identical(org, template, tmp_path):
    program = program_import(organization=org, folder=template)
    write_program(program, tmp_path / "first")
    program_import(organization=org, folder=tmp_path / "first")  # an update in place
    write_program(Program.objects.get(pk=program.pk), tmp_path / "second")
    assert files_of(tmp_path / "first") == files_of(tmp_path / "second")
    # Into another organization, as a new program: the same bytes again.
    copy = program_import(organization=new_org("copy"), folder=tmp_path / "first")
    write_program(copy, tmp_path / "third")
    assert files_of(tmp_path / "third") == files_of(tmp_path / "first")
    # And the same content as the template, now with the start date it was given.
    original = read_program(template)
    original.start_date = program.start_date
    assert read_program(tmp_path / "first") == original


# The format, as a person reads it


@pytest.fixture
def written(org) -> Program:
    program = Program.objects.create(
        organization=org, title="  Leading  ", slug="lead", language="en",
        description="Line one.\r\nLine two.", start_date=dt.date(2026, 1, 5),
        release_time=dt.time(8, 0), time_zone="Europe/Oslo",
    )  # fmt: skip
    unit = Unit.objects.create(program=program, number=1, title="Week: one", summary="Yes")
    # Made out of order, as a studio that moves things around would leave them.
    Card.objects.create(unit=unit, position=9, kind="video", url="https://example.org/v.mp4",
                        captions="/media/v.vtt", caption="Watch", body="After.")  # fmt: skip
    Card.objects.create(unit=unit, position=1, body="First **card**.\n+++ not a card line")
    Card.objects.create(unit=unit, position=2, kind="quote", body="Said.", caption="Ann, HR")
    Card.objects.create(unit=unit, position=3, kind="image", url="https://example.org/a.png",
                        caption="A tree", body="")  # fmt: skip
    Activity.objects.create(unit=unit, position=5, kind="poll", prompt="How often?",
                            scale_min=1, scale_max=5, scale_low="Rarely")  # fmt: skip
    quiz = Activity.objects.create(unit=unit, position=2, kind="quiz", prompt="Which?\nPick one.")
    Option.objects.create(activity=quiz, position=2, text="Tell", feedback="Not quite.")
    Option.objects.create(activity=quiz, position=1, text="Ask", is_correct=True)
    Activity.objects.create(unit=unit, position=3, kind="task", prompt="Gone",
                            removed_at=NOW)  # fmt: skip
    Activity.objects.create(unit=unit, position=1, kind="reflection", prompt="  Why?  ")
    return program


def test_export_writes_readable_stable_text(written, tmp_path):
    program_export(program=written, folder=tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["program.yaml", "unit-01.md"]
    assert (tmp_path / "program.yaml").read_text(encoding="utf-8") == (
        "title: Leading\n"
        "slug: lead\n"
        "language: en\n"
        "description: |\n"
        "  Line one.\n"
        "  Line two.\n"
        "schedule:\n"
        "  start_date: 2026-01-05\n"
        '  release_time: "08:00"\n'
        "  timezone: Europe/Oslo\n"
    )
    assert (tmp_path / "unit-01.md").read_text(encoding="utf-8") == (
        "---\n"
        "title: 'Week: one'\n"
        "summary: 'Yes'\n"
        "activities:\n"
        "  - kind: reflection\n"
        "    prompt: Why?\n"
        "  - kind: quiz\n"
        "    prompt: |\n"
        "      Which?\n"
        "      Pick one.\n"
        "    multiple: false\n"
        "    options:\n"
        "      - text: Ask\n"
        "        correct: true\n"
        "      - text: Tell\n"
        "        feedback: Not quite.\n"
        "  - kind: poll\n"
        "    prompt: How often?\n"
        "    scale:\n"
        "      min: 1\n"
        "      max: 5\n"
        "      low: Rarely\n"
        "---\n"
        "First **card**.\n"
        "\\+++ not a card line\n"
        "\n"
        "+++ quote | Ann, HR\n"
        "Said.\n"
        "\n"
        "+++ image https://example.org/a.png | A tree\n"
        "\n"
        "+++ video https://example.org/v.mp4 captions=/media/v.vtt | Watch\n"
        "After.\n"
    )
    spec = read_program(tmp_path)
    assert spec.units[0].cards[0].body == "First **card**.\n+++ not a card line"
    assert [a.kind for a in spec.units[0].activities] == ["reflection", "quiz", "poll"]


def test_export_writes_what_each_kind_uses_and_escapes_links(written, tmp_path):
    unit = written.units.get()
    unit.cards.filter(kind="quote").update(url="https://example.org/ignored")
    unit.cards.filter(kind="image").update(url="https://example.org/a b|c.png")
    poll = unit.activities.get(kind="poll")
    Option.objects.create(activity=poll, position=1, text="Unused by a scale poll")
    write_program(written, tmp_path)
    text = (tmp_path / "unit-01.md").read_text(encoding="utf-8")
    assert "+++ image https://example.org/a%20b%7Cc.png | A tree\n" in text
    assert "ignored" not in text and "Unused" not in text


def test_export_replaces_unit_files_of_an_earlier_export(written, tmp_path):
    for name in ("unit-01.md", "unit-02.md", "unit-03.md", "notes.md"):
        (tmp_path / name).write_text("old", encoding="utf-8")
    write_program(written, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md", "program.yaml", "unit-01.md"]


def test_units_with_gaps_are_numbered_without_gaps(written, tmp_path):
    Unit.objects.create(program=written, number=4, title="Later")
    write_program(written, tmp_path)
    assert [unit.title for unit in read_program(tmp_path).units] == ["Week: one", "Later"]
    assert (tmp_path / "unit-02.md").exists()


@pytest.mark.parametrize(
    "text", ["yes", "null", "~", "1.0", "07:30", "2026-01-05", "- item", "key: value",
             "#hash", "'quoted'", '"double"', "@at", "a\tb", "a \nb", "ø\u2028å\x85", "\ufeffbom",
             "trailing space \nnext", "[list]", "{map}", "&anchor", "*alias", "!tag", "%x", "|"],
)  # fmt: skip
def test_text_that_looks_like_yaml_comes_back_as_written(written, tmp_path, text):
    unit = written.units.get()
    unit.title = text
    unit.save()
    unit.activities.filter(kind="reflection").update(prompt=text)
    Option.objects.filter(text="Ask").update(text=text, feedback=text)
    write_program(written, tmp_path)
    spec = read_program(tmp_path).units[0]
    assert spec.title == spec.activities[0].prompt == clean_text(text)
    assert spec.activities[1].options[0].text == spec.activities[1].options[0].feedback


# Property: any program comes back the same


# Characters and pieces that YAML, Markdown or the card lines treat specially.
TRICKY = [":", ": ", "#", " #", "'", '"', "|", "\\", "-", "- ", "*", "&", "!", "%", "@", "`",
          "{", "}", "[", "]", ",", ">", "?", "~", " ", "  ", "\t", "\n", "\r\n", "\r", "+++",
          "\\+++", "---", "...", "yes", "null", "1.0", "07:30", "æøå", "ÆØÅ", "…", "—", "“”",
          "«»", "😀", "\u2028", "\x85", "\ufeff", "\xa0", "\x07", "\u200b", "𝔘"]  # fmt: skip
CHARACTERS = st.characters(codec="utf-8", exclude_characters="\x00", exclude_categories=["Cs"])
PIECES = st.one_of(st.sampled_from(TRICKY), st.text(CHARACTERS, min_size=1, max_size=4))
URLS = ["https://example.org/a.png", "https://cdn.example.org/x/y.jpg?w=640&h=1",
        "/media/cards/abc.jpg", "http://example.org/v.mp4",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"]  # fmt: skip


def texts(*, pieces: int, required: bool = False, one_line: bool = False) -> st.SearchStrategy:
    """Text with surrounding spaces and odd characters, as people and browsers send it."""
    strategy = st.lists(PIECES, min_size=int(required), max_size=pieces).map("".join)
    if one_line:
        strategy = strategy.map(lambda text: text.replace("\r", " ").replace("\n", " "))
    return strategy.filter(clean_text) if required else strategy


TITLE = texts(pieces=12, required=True, one_line=True)
LABEL = texts(pieces=6, one_line=True)
MARKDOWN = texts(pieces=30, required=True)


@st.composite
def options(draw, *, quiz: bool) -> list[OptionSpec]:
    count = draw(st.integers(1, 4))
    found = [
        OptionSpec(
            text=draw(TITLE),
            correct=draw(st.booleans()) if quiz else False,
            feedback=draw(texts(pieces=10)) if quiz else "",
        )
        for _ in range(count)
    ]
    if quiz and not any(option.correct for option in found):
        found[0].correct = True
    return found


@st.composite
def activities(draw) -> ActivitySpec:
    kind = draw(st.sampled_from(["reflection", "task", "quiz", "poll", "scale"]))
    prompt = draw(MARKDOWN)
    if kind == "quiz":
        found = draw(options(quiz=True))
        several = sum(option.correct for option in found) > 1
        return ActivitySpec("quiz", prompt, several or draw(st.booleans()), options=found)
    if kind == "poll":
        return ActivitySpec("poll", prompt, options=draw(options(quiz=False)))
    if kind == "scale":
        low = draw(st.integers(0, 9))
        scale = ScaleSpec(low, draw(st.integers(low + 1, 10)), draw(LABEL), draw(LABEL))
        return ActivitySpec("poll", prompt, scale=scale)
    return ActivitySpec(kind, prompt)


@st.composite
def cards(draw) -> CardSpec:
    kind = draw(st.sampled_from(["text", "quote", "image", "video"]))
    if kind in ("text", "quote"):
        return CardSpec(kind, draw(MARKDOWN), caption=draw(LABEL) if kind == "quote" else "")
    body = draw(st.one_of(st.just(""), MARKDOWN))
    captions = draw(st.sampled_from(["", "https://example.org/v.vtt"])) if kind == "video" else ""
    return CardSpec(kind, body, url=draw(st.sampled_from(URLS)), caption=draw(LABEL),
                    captions=captions)  # fmt: skip


@st.composite
def programs(draw) -> ProgramSpec:
    units = [
        UnitSpec(
            number=number,
            title=draw(TITLE),
            summary=draw(LABEL),
            activities=draw(st.lists(activities(), max_size=5)),
            cards=draw(st.lists(cards(), max_size=5)),
        )
        for number in range(1, draw(st.integers(1, 4)) + 1)
    ]
    return ProgramSpec(
        title=draw(TITLE),
        slug="generated",
        language=draw(st.sampled_from(["en", "nb"])),
        description=draw(texts(pieces=20)),
        start_date=draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31))),
        release_time=dt.time(draw(st.integers(0, 23)), draw(st.integers(0, 59))),
        time_zone=draw(st.sampled_from(["Europe/Oslo", "UTC", "America/New_York"])),
        units=units,
    )


def stored(organization: Organization, spec: ProgramSpec) -> Program:
    """The program as the studio would store it: text as typed, positions with gaps."""
    program = Program.objects.create(
        organization=organization, title=spec.title, slug=spec.slug, language=spec.language,
        description=spec.description, start_date=spec.start_date,
        release_time=spec.release_time, time_zone=spec.time_zone,
    )  # fmt: skip
    for unit_spec in spec.units:
        unit = Unit.objects.create(program=program, number=unit_spec.number,
                                   title=unit_spec.title, summary=unit_spec.summary)  # fmt: skip
        for index, card in reversed(list(enumerate(unit_spec.cards))):
            Card.objects.create(unit=unit, position=10 * index + 1, kind=card.kind,
                                body=card.body, url=card.url, caption=card.caption,
                                captions=card.captions)  # fmt: skip
        for index, activity in enumerate(unit_spec.activities):
            _store_activity(unit, activity, position=10 * index + 1)
        # A removed activity between the others: it keeps its place but is never exported.
        Activity.objects.create(unit=unit, position=5, kind="task", prompt="Removed",
                                removed_at=timezone.now())  # fmt: skip
    return program


def _store_activity(unit: Unit, spec: ActivitySpec, *, position: int) -> None:
    scale = spec.scale
    activity = Activity.objects.create(
        unit=unit, position=position, kind=spec.kind, prompt=spec.prompt, multiple=spec.multiple,
        scale_min=scale and scale.min, scale_max=scale and scale.max,
        scale_low=scale.low if scale else "", scale_high=scale.high if scale else "",
    )  # fmt: skip
    for index, option in enumerate(spec.options, start=1):
        Option.objects.create(activity=activity, position=index, text=option.text,
                              is_correct=option.correct, feedback=option.feedback)  # fmt: skip


def cleaned(spec: ProgramSpec) -> ProgramSpec:
    """What the folder must hold: the same program with every text stripped the same way."""
    for unit in spec.units:
        unit.title, unit.summary = clean_text(unit.title), clean_text(unit.summary)
        for card in unit.cards:
            card.body, card.caption = clean_text(card.body), clean_line(card.caption)
        for activity in unit.activities:
            activity.prompt = clean_text(activity.prompt)
            for option in activity.options:
                option.text, option.feedback = clean_text(option.text), clean_text(option.feedback)
            if activity.scale:
                activity.scale.low = clean_text(activity.scale.low)
                activity.scale.high = clean_text(activity.scale.high)
    spec.title, spec.description = clean_text(spec.title), clean_text(spec.description)
    return spec


ORG_NUMBERS = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=programs())
def test_any_program_exports_imports_and_exports_the_same(db, spec):
    number = next(ORG_NUMBERS)
    program = stored(new_org(f"from-{number}"), spec)
    with tempfile.TemporaryDirectory() as temporary:
        first, second = Path(temporary) / "first", Path(temporary) / "second"
        write_program(program, first)
        assert read_program(first) == cleaned(spec)
        again = program_import(organization=new_org(f"to-{number}"), folder=first)
        assert program_spec(again) == program_spec(program)
        write_program(again, second)
        assert files_of(second) == files_of(first)
