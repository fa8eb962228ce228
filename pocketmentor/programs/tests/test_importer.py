import datetime as dt

import pytest

from pocketmentor.programs.importer import ProgramFolderError, read_program
from pocketmentor.programs.services import LIBRARY, program_import


@pytest.mark.parametrize("language", ["en", "nb"])
def test_leadership_template_reads_in_both_languages(language):
    spec = read_program(LIBRARY / "leadership" / language)
    assert spec.language == language
    assert len(spec.units) == 8
    for unit in spec.units:
        assert [a["kind"] for a in unit.activities] == ["reflection", "task", "quiz", "poll"]
        assert 3 <= len(unit.cards) <= 4
        assert all(card.body for card in unit.cards)


def test_import_creates_units_cards_activities_and_options(org):
    program = program_import(
        organization=org, folder=LIBRARY / "leadership" / "en", start_date=dt.date(2026, 1, 5)
    )
    assert program.units.count() == 8
    unit = program.units.get(number=4)
    quiz = unit.activities.get(kind="quiz")
    assert quiz.multiple and quiz.options.filter(is_correct=True).count() == 2
    assert program.units.get(number=1).activities.get(kind="poll").scale_max == 5
    quotes = [c for u in program.units.all() for c in u.cards.filter(kind="quote")]
    assert quotes and all(q.caption for q in quotes)


def test_bad_folder_lists_every_problem_with_its_file(tmp_path):
    (tmp_path / "program.yaml").write_text("title: X\nlanguage: en\n")
    (tmp_path / "unit-01.md").write_text(
        "---\ntitle: One\nactivities:\n  - kind: quiz\n    prompt: Q\n    options:\n"
        "      - text: A\n  - kind: essay\n    prompt: P\n---\nBody\n"
    )
    (tmp_path / "unit-02.md").write_text("---\ntitle: [unclosed\n---\nBody\n")
    with pytest.raises(ProgramFolderError) as raised:
        read_program(tmp_path)
    errors = raised.value.errors
    assert "program.yaml: missing slug" in errors
    assert "unit-01.md: activity 1: a quiz needs at least one right answer" in errors
    assert "unit-01.md: activity 2: kind must be reflection, task, quiz or poll" in errors
    assert any(e.startswith("unit-02.md line 2: bad YAML") for e in errors)
