"""Recall questions in programs as code: a quiz marked `recall: true`, and a unit's own list."""

from pathlib import Path

import pytest
from django.utils import translation

from pocketmentor.conftest import answer, enroll, make_person
from pocketmentor.learning.models import RecallCard
from pocketmentor.programs.importer import ProgramFolderError, read_program
from pocketmentor.programs.models import RecallQuestion
from pocketmentor.programs.services import program_export, program_import

PROGRAM = """title: Feedback
slug: feedback
language: en
schedule:
  start_date: 2026-03-02
"""

UNIT = """---
title: Ask before you tell
activities:
  - kind: reflection
    prompt: When did someone last ask for your view?
  - kind: quiz
    prompt: What do you say first?
    multiple: false
    recall: true
    options:
      - text: A question
        correct: true
      - text: Your view
recall:
  - question: What was the point of asking before telling?
    answer: The other person speaks first, so feedback becomes a conversation.
  - question: What is the one question to ask?
    answer: '"How do you see it?"'
---
Feedback lands better when the other person has spoken first.
"""


def folder(tmp_path: Path, unit: str = UNIT) -> Path:
    path = tmp_path / "in"
    path.mkdir(exist_ok=True)
    (path / "program.yaml").write_text(PROGRAM)
    (path / "unit-01.md").write_text(unit)
    return path


def test_recall_questions_import_and_export_the_same(org, tmp_path):
    program = program_import(organization=org, folder=folder(tmp_path))
    questions = list(RecallQuestion.objects.filter(unit__program=program).order_by("position"))
    quiz = program.units.get().activities.get(kind="quiz")
    assert [(q.position, q.activity_id, q.prompt) for q in questions] == [
        (1, quiz.pk, ""),
        (2, None, "What was the point of asking before telling?"),
        (3, None, "What is the one question to ask?"),
    ]
    assert questions[2].answer == '"How do you see it?"'
    out = tmp_path / "out"
    program_export(program=program, folder=out)
    again = read_program(out)
    assert again.units[0].activities[1].recall is True
    assert [(r.question, r.answer) for r in again.units[0].recall] == [
        (q.prompt, q.answer) for q in questions[1:]
    ]
    program_import(organization=org, folder=out)
    out2 = tmp_path / "out2"
    program_export(program=program, folder=out2)
    assert (out / "unit-01.md").read_text() == (out2 / "unit-01.md").read_text()
    assert "recall: true" in (out / "unit-01.md").read_text()


def test_reimporting_a_reworded_point_keeps_it_and_a_dropped_one_goes(org, tmp_path):
    program = program_import(organization=org, folder=folder(tmp_path))
    kept = RecallQuestion.objects.get(unit__program=program, position=2)
    reworded = UNIT.replace("What was the point of asking", "Why ask").replace(
        "    recall: true\n", ""
    )
    reworded = reworded.split("  - question: What is the one")[0] + "---\nText.\n"
    program_import(organization=org, folder=folder(tmp_path, reworded))
    left = list(RecallQuestion.objects.filter(unit__program=program))
    assert [(q.pk, q.position, q.prompt) for q in left] == [(kept.pk, 1, "Why ask before telling?")]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("  - kind: reflection\n", "  - kind: reflection\n    recall: true\n"),
         "unit-01.md line 5: a reflection takes no recall"),
        (("    answer: '\"How do you see it?\"'\n", ""), "unit-01.md line 17: missing answer"),
        (("recall: true", "recall: yes please"), "unit-01.md line 9: recall must be true or false"),
        (("  - question: What is", "  - questoin: What is"),
         "unit-01.md line 17: unknown key 'questoin'"),
    ],
)  # fmt: skip
def test_a_wrong_recall_is_a_listed_problem(tmp_path, change, problem):
    with translation.override("en"), pytest.raises(ProgramFolderError) as raised:
        read_program(folder(tmp_path, UNIT.replace(*change)))
    assert problem in raised.value.errors


def test_a_point_added_by_an_import_comes_back_to_those_who_did_its_unit(org, tmp_path):
    no_recall = UNIT.split("recall:\n  - question")[0].replace("    recall: true\n", "")
    program = program_import(organization=org, folder=folder(tmp_path, no_recall + "---\nA.\n"))
    person = make_person("ann@fjordvik.example", org=org, role="participant")
    enrollment = enroll(person, program)
    answer(enrollment, program.units.get().activities.get(kind="reflection"), text="Mine.")
    program_import(organization=org, folder=folder(tmp_path))
    cards = RecallCard.objects.filter(enrollment=enrollment)
    assert cards.count() == 3
    assert {c.due for c in cards} == {program.opens_at(2)}
