"""Reading program folders: the shipped templates, and every kind of mistake a person makes."""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from pocketmentor.conftest import NOW, START, answer
from pocketmentor.programs.exporter import program_spec, write_program, write_spec
from pocketmentor.programs.importer import (
    ActivitySpec,
    ImportReport,
    OptionSpec,
    ProgramFolderError,
    read_program,
)
from pocketmentor.programs.models import Activity, Program
from pocketmentor.programs.services import LIBRARY, folders, program_import


@pytest.fixture(autouse=True)
def _english():
    """The messages below are the English ones; the Norwegian are tested in the studio."""
    with translation.override("en"):
        yield


PROGRAM_YAML = """\
title: Leading
slug: lead
language: en
schedule:
  release_time: "07:30"
  timezone: Europe/Oslo
"""
UNIT = """\
---
title: Week one
activities:
  - kind: reflection
    prompt: What did you notice?
---
Read this.
"""


def folder_with(tmp_path: Path, units: dict[str, str | bytes] | None = None,
                program: str = PROGRAM_YAML) -> Path:  # fmt: skip
    (tmp_path / "program.yaml").write_text(program, encoding="utf-8")
    for name, text in (units if units is not None else {"unit-01.md": UNIT}).items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (tmp_path / name).write_bytes(data)
    return tmp_path


def errors_of(folder: Path) -> list[str]:
    with pytest.raises(ProgramFolderError) as refused:
        read_program(folder)
    return refused.value.errors


def unit_errors(tmp_path: Path, text: str) -> list[str]:
    return errors_of(folder_with(tmp_path, {"unit-01.md": text}))


def activity_unit(activity: str) -> str:
    """A unit file whose one activity is `activity`, indented as a list item at line 4."""
    lines = activity.strip("\n").splitlines()
    body = "\n".join(["  - " + lines[0], *("    " + line for line in lines[1:])])
    return f"---\ntitle: T\nactivities:\n{body}\n---\nText.\n"


# The shipped templates


def test_every_shipped_template_reads():
    folders = sorted(LIBRARY.glob("*/*"))
    assert {f"{f.parent.name}/{f.name}" for f in folders} >= {"leadership/en", "leadership/nb"}
    for folder in folders:
        spec = read_program(folder)
        assert spec.language == folder.name
        assert spec.units and all(unit.cards and unit.activities for unit in spec.units)


@pytest.mark.parametrize("language", ["en", "nb"])
def test_leadership_template_reads_in_both_languages(language):
    spec = read_program(LIBRARY / "leadership" / language)
    assert spec.language == language
    assert spec.start_date is None and spec.release_time == dt.time(7, 30)
    assert len(spec.units) == 8
    for unit in spec.units:
        assert [a.kind for a in unit.activities] == ["reflection", "task", "quiz", "poll"]
        assert 3 <= len(unit.cards) <= 4
        assert all(card.body for card in unit.cards)
    quiz = spec.units[3].activities[2]
    assert quiz.multiple and [o.correct for o in quiz.options] == [True, True, False, False]
    assert spec.units[0].activities[3].scale.max == 5
    assert spec.units[0].cards[2].kind == "quote" and spec.units[0].cards[2].caption
    # Each week's quiz comes back as recall, and so does a key point with its answer.
    for unit in spec.units:
        assert [a.recall for a in unit.activities] == [False, False, True, False]
        assert len(unit.recall) == 1 and unit.recall[0].question and unit.recall[0].answer


@pytest.mark.parametrize("language", ["en", "nb"])
def test_onboarding_template_asks_its_quizzes_again(language):
    spec = read_program(LIBRARY / "onboarding" / language)
    quizzes = [a for unit in spec.units for a in unit.activities if a.kind == "quiz"]
    assert quizzes and all(quiz.recall for quiz in quizzes)


# What a folder may say


def test_all_card_kinds_and_activity_kinds_read(tmp_path):
    unit = """\
---
title: "Week one: \\"start\\""
summary: yes
activities:
  - kind: quiz
    prompt: |
      Pick two.
    multiple: true
    options:
      - text: A
        correct: true
        feedback: Right.
      - text: B
        correct: yes
      - text: "1.0"
  - kind: poll
    prompt: How?
    scale: {min: 0, max: 10, low: Never, high: Always}
  - kind: poll
    prompt: Which?
    options:
      - text: This
      - text: That
  - kind: task
    prompt: Do it.
---
Intro **text**.

+++ quote |  Someone wise
Quoted.
+++ image https://example.org/a.png | A tree
+++ video https://example.org/v.mp4 captions=https://example.org/v.vtt | Watch
Below the video.
+++ image /media/cards/b.jpg | Uploaded
+++
\\+++ is not a card line here
\\\\+++ nor here
"""
    spec = read_program(folder_with(tmp_path, {"unit-01.md": unit}))
    [week] = spec.units
    assert week.title == 'Week one: "start"' and week.summary == "yes"
    quiz, scale, choice, task = week.activities
    assert quiz.prompt == "Pick two." and [o.correct for o in quiz.options] == [True, True, False]
    assert quiz.options[2].text == "1.0" and quiz.options[0].feedback == "Right."
    assert (scale.scale.min, scale.scale.max, scale.scale.low) == (0, 10, "Never")
    assert [o.text for o in choice.options] == ["This", "That"] and choice.scale is None
    assert [c.kind for c in week.cards] == ["text", "quote", "image", "video", "image", "text"]
    assert week.cards[1].caption == "Someone wise" and week.cards[1].body == "Quoted."
    assert week.cards[2].url == "https://example.org/a.png" and week.cards[2].body == ""
    assert week.cards[3].captions == "https://example.org/v.vtt"
    assert week.cards[3].body == "Below the video."
    assert week.cards[5].body == "+++ is not a card line here\n\\+++ nor here"


def test_schedule_and_plain_times_read(tmp_path):
    program = PROGRAM_YAML.replace('"07:30"', "7:05") + "  start_date: 2026-01-05\n"
    spec = read_program(folder_with(tmp_path, program=program))
    assert spec.release_time == dt.time(7, 5)  # unquoted 7:05 is a number in YAML 1.1
    assert spec.start_date == dt.date(2026, 1, 5)


def test_windows_line_ends_and_byte_order_mark_read(tmp_path):
    unit = "\ufeff" + UNIT.replace("\n", "\r\n")
    spec = read_program(folder_with(tmp_path, {"unit-01.md": unit}))
    assert spec.units[0].title == "Week one" and spec.units[0].cards[0].body == "Read this."


def test_other_files_in_the_folder_are_ignored(tmp_path):
    folder = folder_with(tmp_path, {"unit-01.md": UNIT, "README.md": "Notes", "notes.txt": "x"})
    assert len(read_program(folder).units) == 1


# Problems: each names its file and line


@pytest.mark.parametrize(
    ("program", "error"),
    [
        ("titel: X\nslug: a\nlanguage: en\n", "program.yaml line 1: unknown key 'titel'"),
        ("slug: a\nlanguage: en\n", "program.yaml line 1: missing title"),
        ("title: X\nlanguage: en\n", "program.yaml line 1: missing slug"),
        (
            "title: X\nslug: a b\nlanguage: en\n",
            "program.yaml line 2: slug must be letters, digits, - and _ only, like leadership",
        ),
        (
            "title: X\nslug: a\nlanguage: de\n",
            "program.yaml line 3: language must be one of en, nb",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nprimary_color: '#fff'\n",
            "program.yaml line 4: unknown key 'primary_color'",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nschedule:\n  start_date: 5 January\n",
            "program.yaml line 5: start_date must be a date like 2026-01-05",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nschedule:\n  start_date: 2026-02-30\n",
            "program.yaml line 5: start_date must be a date like 2026-01-05",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nschedule:\n  release_time: '7.30'\n",
            "program.yaml line 5: release_time must be a time like 07:30",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nschedule:\n  release_time: '25:00'\n",
            "program.yaml line 5: release_time must be a time like 07:30",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nschedule:\n  timezone: Europe/Atlantis\n",
            "program.yaml line 5: unknown time zone 'Europe/Atlantis' (like Europe/Oslo)",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nschedule:\n  every: monday\n",
            "program.yaml line 5: unknown key 'every'",
        ),
        (
            "title: X\nslug: a\nlanguage: en\nschedule: weekly\n",
            "program.yaml line 4: schedule must be keys and values",
        ),
        (
            "title: X\ntitle: Y\nslug: a\nlanguage: en\n",
            "program.yaml line 2: title is given twice",
        ),
        ("title: [X\nslug: a\n", "program.yaml line 2: bad YAML"),
        ("- title: X\n", "program.yaml line 1: program.yaml must be keys and values"),
    ],
)
def test_program_yaml_problems(tmp_path, program, error):
    errors = errors_of(folder_with(tmp_path, program=program))
    assert any(e == error or e.startswith(error + " (") for e in errors), errors


@pytest.mark.parametrize(
    ("unit", "error"),
    [
        ("---\ntitel: One\n---\nText\n", "unit-01.md line 2: unknown key 'titel'"),
        ("---\ntitel: One\n---\nText\n", "unit-01.md line 2: missing title"),
        ("---\nsummary: S\n---\nText\n", "unit-01.md line 2: missing title"),
        ("---\n---\nText\n", "unit-01.md line 2: missing title"),
        ("---\ntitle: ''\n---\nText\n", "unit-01.md line 2: missing title"),
        ("---\ntitle: [One, Two]\n---\nText\n", "unit-01.md line 2: title must be text"),
        (
            "---\ntitle: " + "x" * 201 + "\n---\nText\n",
            "unit-01.md line 2: title is longer than 200 characters",
        ),
        (
            "---\ntitle: One\nactivities: reflect\n---\n",
            "unit-01.md line 3: activities must be a list, one `- ` line per item",
        ),
        ("---\ntitle: One\nsummary: [unclosed\n---\nText\n", "unit-01.md line 3: bad YAML"),
        (
            "---\ntitle: &t One\nsummary: *t\n---\n",
            "unit-01.md line 3: bad YAML (aliases (*name) are not allowed)",
        ),
        (
            "---\ntitle: One\n\x01\n---\n",
            "unit-01.md line 3: bad YAML (the character U+0001 is not allowed)",
        ),
        (
            "title: One\n---\nText\n",
            "unit-01.md line 1: must start with a --- line, then the front matter, "
            "then another --- line",
        ),
        ("---\ntitle: One\nText\n", "unit-01.md line 1: the front matter has no closing --- line"),
    ],
)
def test_unit_front_matter_problems(tmp_path, unit, error):
    errors = unit_errors(tmp_path, unit)
    assert any(e == error or e.startswith(error + " (") for e in errors), errors


@pytest.mark.parametrize(
    ("activity", "error"),
    [
        ("kind: reflection\npromt: Why?", "line 5: unknown key 'promt'"),
        ("kind: reflection\npromt: Why?", "line 4: missing prompt"),
        ("kind: reflection\nprompt: ''", "line 5: missing prompt"),
        ("kind: reflection\nprompt:", "line 5: missing prompt"),
        ("prompt: Why?", "line 4: missing kind (reflection, task, quiz or poll)"),
        (
            "kind: essay\nprompt: Why?",
            "line 4: unknown activity kind 'essay' (reflection, task, quiz or poll)",
        ),
        ("kind: task\nprompt: Do.\noptions:\n  - text: A", "line 6: a task takes no options"),
        (
            "kind: reflection\nprompt: Why?\nmultiple: true",
            "line 6: a reflection takes no multiple",
        ),
        (
            "kind: quiz\nprompt: Q\noptions:\n  - text: A\n  - text: B",
            "line 4: a quiz needs at least one right answer",
        ),
        ("kind: quiz\nprompt: Q", "line 4: a quiz needs at least one right answer"),
        (
            "kind: quiz\nprompt: Q\noptions:\n  - text: A\n    correct: true\n  - text: B\n"
            "    correct: true",
            "line 4: a single-choice quiz has one right answer; add multiple: true for more",
        ),
        (
            "kind: quiz\nprompt: Q\nmultiple: maybe\noptions:\n  - text: A\n    correct: true",
            "line 6: multiple must be true or false",
        ),
        (
            "kind: quiz\nprompt: Q\noptions:\n  - text: A\n    corect: true",
            "line 8: unknown key 'corect'",
        ),
        ("kind: quiz\nprompt: Q\noptions:\n  - correct: true", "line 7: missing text"),
        ("kind: quiz\nprompt: Q\noptions:\n  - A", "line 7: an option must be keys and values"),
        (
            "kind: quiz\nprompt: Q\nscale: {min: 1, max: 5}\n"
            "options:\n  - text: A\n    correct: true",
            "line 6: a quiz takes no scale",
        ),
        ("kind: poll\nprompt: P", "line 4: a poll needs a scale or options"),
        ("kind: poll\nprompt: P\noptions: []", "line 4: a poll needs a scale or options"),
        (
            "kind: poll\nprompt: P\nscale: {min: 1, max: 5}\noptions:\n  - text: A",
            "line 4: a poll needs either a scale or options, not both",
        ),
        (
            "kind: poll\nprompt: P\noptions:\n  - text: A\n    correct: true",
            "line 8: a poll option takes no correct",
        ),
        (
            "kind: poll\nprompt: P\nscale:\n  min: one\n  max: 5",
            "line 7: scale min must be a whole number like 1",
        ),
        (
            "kind: poll\nprompt: P\nscale:\n  min: 1.5\n  max: 5",
            "line 7: scale min must be a whole number like 1",
        ),
        (
            "kind: poll\nprompt: P\nscale:\n  min: 5\n  max: 1",
            "line 6: scale min must be less than max",
        ),
        (
            "kind: poll\nprompt: P\nscale:\n  min: 3\n  max: 3",
            "line 6: scale min must be less than max",
        ),
        ("kind: poll\nprompt: P\nscale:\n  max: 5", "line 6: scale needs min"),
        (
            "kind: poll\nprompt: P\nscale:\n  min: 1\n  max: 50",
            "line 8: scale max must be from 0 to 10",
        ),
        (
            "kind: poll\nprompt: P\nscale:\n  min: 1\n  max: 5\n  middle: OK",
            "line 9: unknown key 'middle'",
        ),
        ("kind: poll\nprompt: P\nscale: 5", "line 6: scale must be keys and values"),
    ],
)
def test_activity_problems(tmp_path, activity, error):
    errors = unit_errors(tmp_path, activity_unit(activity))
    assert f"unit-01.md {error}" in errors, errors


@pytest.mark.parametrize(
    ("cards", "error"),
    [
        ("Text\n+++ slide\nMore", "line 5: unknown card kind 'slide' (quote, image or video)"),
        ("Text\n++++\nMore", "line 5: a card line is +++ and a space, then the card's kind"),
        ("+++ image | A tree", "line 4: an image card needs a URL: +++ image https://… | Alt text"),
        ("+++ video\nAbout it", "line 4: a video card needs a URL: +++ video https://… | Caption"),
        (
            "+++ image tree.png | A tree",
            "line 4: 'tree.png' is not a link starting with https:// or /media/",
        ),
        (
            "+++ image javascript:alert(1) | x",
            "line 4: 'javascript:alert(1)' is not a link starting with https:// or /media/",
        ),
        (
            "+++ image https://example.org/a b.png | A",
            "line 4: too many words before |; a link has no spaces",
        ),
        ("+++ quote https://example.org | Me\nHi", "line 4: a quote card takes no URL"),
        ("+++ | A caption\nText", "line 4: a text card takes nothing after |"),
        (
            "+++ image https://example.org/a.png captions=https://example.org/a.vtt | A",
            "line 4: unknown card setting 'captions=' (a video takes captions=)",
        ),
        (
            "Text\n+++\n\n+++ quote\nHi",
            "line 5: an empty card: write its text below this line, or remove the line",
        ),
        (
            "Text\n+++ quote | Nobody",
            "line 5: an empty card: write its text below this line, or remove the line",
        ),
    ],
)
def test_card_problems(tmp_path, cards, error):
    errors = unit_errors(tmp_path, f"---\ntitle: T\n---\n{cards}\n")
    assert f"unit-01.md {error}" in errors, errors


@pytest.mark.parametrize(
    ("names", "error"),
    [
        (["unit-01.md", "unit-03.md"], "unit-02.md: missing; units are numbered without gaps"),
        (["unit-02.md"], "unit-01.md: missing; units are numbered without gaps"),
        (
            ["unit-01.md", "unit-05.md"],
            "unit-02.md to unit-04.md: missing; units are numbered without gaps",
        ),
        (["unit-01.md", "unit-99999.md"], "unit-99999.md: a program has at most 520 units"),
        (["unit-01.md", "unit-1.md"], "unit-1.md: unit 1 again, as unit-01.md; keep one"),
        (["unit-00.md", "unit-01.md"], "unit-00.md: units are numbered from unit-01.md"),
        (
            ["unit-01.md", "unit-two.md"],
            "unit-two.md: not a unit file name; name unit files like unit-01.md",
        ),
        ([], "no unit files; the first is unit-01.md"),
    ],
)
def test_unit_file_numbering_problems(tmp_path, names, error):
    folder = tmp_path / "program"
    folder.mkdir()
    errors = errors_of(folder_with(folder, dict.fromkeys(names, UNIT)))
    assert error in errors or f"program: {error}" in errors, errors


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    latin1 = "---\ntitle: Uke én\n---\nBlåbær\n".encode("latin-1")
    assert unit_errors(tmp_path, latin1) == ["unit-01.md line 2: not UTF-8 text; save it as UTF-8"]


@pytest.mark.parametrize(
    "nested",
    ["x: " + "[" * 5000 + "]" * 5000, "x:\n" + "".join("  " * i + "- \n" for i in range(400))],
)
def test_deeply_nested_yaml_is_a_listed_problem_not_a_crash(tmp_path, nested):
    errors = errors_of(folder_with(tmp_path, program=PROGRAM_YAML + nested))
    assert len(errors) == 1
    assert "bad YAML (nested deeper than 20 levels)" in errors[0]
    assert errors[0].startswith("program.yaml line ")


def test_a_huge_yaml_text_is_refused_before_it_is_read(tmp_path):
    huge = PROGRAM_YAML + "description: " + "x" * 1_000_001 + "\n"
    errors = errors_of(folder_with(tmp_path, program=huge))
    assert errors == ["program.yaml: the YAML is longer than 1 000 000 characters; shorten it"]


def test_missing_program_yaml_and_missing_folder(tmp_path):
    (tmp_path / "unit-01.md").write_text(UNIT, encoding="utf-8")
    assert errors_of(tmp_path) == ["program.yaml: missing"]
    assert errors_of(tmp_path / "nowhere") == ["nowhere: not a folder"]


def test_every_problem_in_every_file_is_listed_file_by_file(tmp_path):
    program = "title: X\nslug: x\nlanguage: en\nschedule:\n  release_time: noon\n"
    units = {
        "unit-01.md": activity_unit("kind: quiz\nprompt: Q\noptions:\n  - text: A"),
        "unit-02.md": "---\ntitel: Two\nactivities:\n  - kind: essay\n    prompt: P\n---\n"
        "+++ image\n",
        "unit-04.md": "---\ntitle: [unclosed\n---\nBody\n",
    }
    errors = errors_of(folder_with(tmp_path, units, program=program))
    assert errors[0] == "program.yaml line 5: release_time must be a time like 07:30"
    assert errors[1:] == [
        "unit-01.md line 4: a quiz needs at least one right answer",
        "unit-02.md line 2: unknown key 'titel'",
        "unit-02.md line 2: missing title",
        "unit-02.md line 4: unknown activity kind 'essay' (reflection, task, quiz or poll)",
        "unit-02.md line 7: an image card needs a URL: +++ image https://… | Alt text",
        "unit-03.md: missing; units are numbered without gaps",
        "unit-04.md line 2: bad YAML (expected ',' or ']', but got '<stream end>')",
    ]


# Importing into the database: services.folders.program_import


@pytest.fixture
def folder(program, tmp_path) -> Path:
    """The conftest program (three weeks, slug `lead`) exported, ready to edit and re-import."""
    write_program(program, tmp_path / "lead")
    return tmp_path / "lead"


def edited(folder: Path, change) -> Path:
    """Rewrite the folder after `change(spec)`, the way a person would edit the files."""
    spec = read_program(folder)
    change(spec)
    write_spec(spec, folder)
    return folder


def activity_at(program: Program, number: int, position: int) -> Activity:
    return program.units.get(number=number).activities.live().order_by("position")[position - 1]


def test_import_creates_units_cards_activities_and_options(org):
    report = ImportReport()
    program = program_import(
        organization=org,
        folder=LIBRARY / "leadership" / "en",
        start_date=dt.date(2026, 1, 5),
        report=report,
    )
    assert report.created and report.units_created == 8 and report.activities_created == 32
    assert program.state == Program.State.DRAFT and program.start_date == dt.date(2026, 1, 5)
    assert program.units.count() == 8 and not program.units.published().exists()
    unit = program.units.get(number=4)
    quiz = unit.activities.get(kind="quiz")
    assert quiz.multiple and quiz.options.filter(is_correct=True).count() == 2
    assert program.units.get(number=1).activities.get(kind="poll").scale_max == 5
    quotes = [c for u in program.units.all() for c in u.cards.filter(kind="quote")]
    assert quotes and all(q.caption for q in quotes)


def test_start_date_from_argument_else_folder_else_today(org, tmp_path):
    folder = folder_with(tmp_path)
    assert program_import(organization=org, folder=folder).start_date == dt.date(2026, 3, 11)
    (tmp_path / "program.yaml").write_text(PROGRAM_YAML + "  start_date: 2026-04-06\n")
    assert program_import(organization=org, folder=folder).start_date == dt.date(2026, 4, 6)
    chosen = program_import(organization=org, folder=folder, start_date=dt.date(2026, 5, 4))
    assert chosen.start_date == dt.date(2026, 5, 4)


def test_existing_program_keeps_its_start_date_and_state_unless_given(program, folder):
    edited(folder, lambda spec: setattr(spec, "start_date", None))
    again = program_import(organization=program.organization, folder=folder)
    assert again.pk == program.pk
    assert (again.start_date, again.state) == (START, "live")
    moved = program_import(
        organization=program.organization,
        folder=folder,
        start_date=dt.date(2026, 8, 3),
        state=Program.State.FINISHED,
    )
    assert (moved.start_date, moved.state) == (dt.date(2026, 8, 3), "finished")
    with pytest.raises(ValueError, match="state"):
        program_import(organization=program.organization, folder=folder, state="paused")


def test_reimport_with_new_wording_keeps_every_answer_attached(program, ann, folder):
    enrollment = ann.enrollments.get()
    reflection, quiz = activity_at(program, 1, 1), activity_at(program, 1, 3)
    written = answer(enrollment, reflection, text="I interrupt people.")
    chose = answer(enrollment, quiz)
    ask = quiz.options.get(text="Ask")
    chose.choices.add(ask)
    ids = set(Activity.objects.values_list("pk", flat=True))

    def reword(spec):
        spec.units[0].activities[0].prompt = "What did you *really* notice?"
        spec.units[0].activities[2].options[0].text = "Ask first"
        spec.units[0].title = "A new title"

    report = ImportReport()
    program_import(organization=program.organization, folder=edited(folder, reword), report=report)
    assert set(Activity.objects.values_list("pk", flat=True)) == ids
    written.refresh_from_db()
    assert written.activity_id == reflection.pk and written.text == "I interrupt people."
    assert written.activity.prompt == "What did you *really* notice?"
    assert list(chose.choices.all()) == [ask]
    ask.refresh_from_db()
    assert ask.text == "Ask first" and ask.is_correct
    assert program.units.get(number=1).title == "A new title"
    assert (report.created, report.units_updated, report.units_unchanged) == (False, 1, 2)
    assert (report.activities_updated, report.activities_unchanged) == (2, 10)


def test_removed_activity_with_answers_leaves_the_pages_but_keeps_them(program, ann, folder):
    poll, task = activity_at(program, 1, 4), activity_at(program, 2, 2)
    response = answer(ann.enrollments.get(), poll, value=4)

    def remove(spec):
        del spec.units[0].activities[3]  # the answered poll
        del spec.units[1].activities[1]  # an unanswered task: a later one moves up

    report = ImportReport()
    program_import(organization=program.organization, folder=edited(folder, remove), report=report)
    poll.refresh_from_db()
    assert poll.removed_at is not None
    response.refresh_from_db()
    assert response.activity_id == poll.pk and response.value == 4
    assert program.units.get(number=1).activities.live().count() == 3
    assert not Activity.objects.filter(pk=task.pk).exists()
    # Unit 2 was reflection, task, quiz, poll: the quiz now stands where the task stood, so
    # the kinds no longer match from there and the unanswered ones are replaced.
    kinds = list(program.units.get(number=2).activities.live().values_list("kind", flat=True))
    assert kinds == ["reflection", "quiz", "poll"]
    assert report.activities_removed == 1 and report.activities_deleted == 3


def test_another_kind_in_the_same_place_is_a_new_activity(program, ann, folder):
    task, poll = activity_at(program, 1, 2), activity_at(program, 1, 4)
    answer(ann.enrollments.get(), task, text="Done")

    def change(spec):
        spec.units[0].activities[1] = ActivitySpec(kind="reflection", prompt="Why?")
        poll_spec = spec.units[0].activities[3]
        poll_spec.scale, poll_spec.options = None, [OptionSpec("Yes"), OptionSpec("No")]

    program_import(organization=program.organization, folder=edited(folder, change))
    task.refresh_from_db()
    assert task.removed_at is not None
    assert not Activity.objects.filter(pk=poll.pk).exists()  # a scale poll became a choice poll
    new = activity_at(program, 1, 2)
    assert (new.kind, new.prompt, new.position) == ("reflection", "Why?", 2)
    choice = activity_at(program, 1, 4)
    assert not choice.is_scale and list(choice.options.values_list("text", flat=True)) == [
        "Yes",
        "No",
    ]


def test_options_are_matched_by_place_and_chosen_ones_are_kept(program, ann, folder):
    quiz = activity_at(program, 1, 3)
    ask, tell = quiz.options.order_by("position")
    answer(ann.enrollments.get(), quiz).choices.add(tell)
    quiz2 = activity_at(program, 2, 3)

    def change(spec):
        spec.units[0].activities[2].options = [OptionSpec("Listen", correct=True, feedback="!")]
        spec.units[1].activities[2].options += [OptionSpec("Wait"), OptionSpec("Decide")]

    report = ImportReport()
    program_import(organization=program.organization, folder=edited(folder, change), report=report)
    options = list(quiz.options.order_by("position"))
    assert [(o.pk, o.text, o.is_correct, o.feedback, o.position) for o in options] == [
        (ask.pk, "Listen", True, "!", 1),
        (tell.pk, "Tell", False, "Not quite.", 2),  # chosen by an answer: kept, after the rest
    ]
    assert report.options_kept == 1
    assert list(quiz2.options.order_by("position").values_list("text", flat=True)) == [
        "Ask",
        "Tell",
        "Wait",
        "Decide",
    ]


def test_units_beyond_the_folder_are_deleted_or_unpublished_when_answered(program, ann, folder):
    answer(ann.enrollments.get(), activity_at(program, 3, 1), text="Mine")
    report = ImportReport()
    folder = edited(folder, lambda spec: spec.units.__delitem__(slice(1, None)))
    assert sorted(path.name for path in folder.glob("unit-*.md")) == ["unit-01.md"]
    program_import(organization=program.organization, folder=folder, report=report)
    assert list(program.units.values_list("number", "published_at")) == [(1, NOW), (3, None)]
    assert (report.units_deleted, report.units_unpublished) == ([2], [3])


def test_publish_publishes_only_units_that_are_not_yet(program, folder):
    program.units.filter(number=2).update(published_at=None)
    later = NOW + dt.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        program_import(organization=program.organization, folder=folder, publish=True)
    assert list(program.units.values_list("published_at", flat=True)) == [NOW, later, NOW]


def test_a_refused_folder_changes_nothing(program, ann, folder, org):
    before = program_spec(program)

    def change(spec):
        spec.title = "Changed"
        spec.units[0].activities[0].prompt = "Changed"
        spec.units[2].activities[0].kind = "essay"  # refused

    with pytest.raises(ProgramFolderError) as refused:
        program_import(organization=org, folder=edited(folder, change))
    assert refused.value.errors == [
        "unit-03.md line 4: unknown activity kind 'essay' (reflection, task, quiz or poll)"
    ]
    assert program_spec(Program.objects.get(pk=program.pk)) == before
    (folder / "program.yaml").write_text(PROGRAM_YAML.replace("lead", "new"), encoding="utf-8")
    with pytest.raises(ProgramFolderError):
        program_import(organization=org, folder=folder)
    assert not Program.objects.filter(slug="new").exists()


def test_a_failure_halfway_rolls_back_everything(program, folder, org, monkeypatch):
    before = program_spec(program)
    edited(folder, lambda spec: setattr(spec.units[0], "title", "Changed"))

    def broken(unit, spec):
        if unit.number == 3:
            raise RuntimeError("disk full")

    monkeypatch.setattr(folders, "_cards_replace", broken)
    with pytest.raises(RuntimeError):
        program_import(organization=org, folder=folder)
    assert program_spec(Program.objects.get(pk=program.pk)) == before


def test_import_touches_only_its_own_organization(program, outsider, folder):
    theirs = Program.objects.get(organization__slug="other")
    before = program_spec(theirs)
    edited(folder, lambda spec: setattr(spec, "title", "Ours"))
    program_import(organization=program.organization, folder=folder)
    assert program_spec(theirs) == before
    assert Program.objects.get(pk=program.pk).title == "Ours"


def test_the_documented_example_reads(tmp_path):
    docs = Path(__file__).resolve().parents[3] / "docs" / "programs-as-code.md"
    blocks = re.findall(r"^```(?:yaml|markdown)\n(.*?)^```$", docs.read_text(), re.M | re.S)
    folder = folder_with(tmp_path, {"unit-01.md": blocks[1]}, program=blocks[0])
    spec = read_program(folder)
    assert spec.start_date == dt.date(2026, 1, 5) and len(spec.units[0].activities) == 4
    assert [card.kind for card in spec.units[0].cards] == [
        "text",
        "quote",
        "image",
        "video",
        "text",
    ]
