"""Programs as folders: importing one into an organization, and writing one out."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone

from pocketmentor.orgs.models import Organization
from pocketmentor.programs import signals
from pocketmentor.programs.exporter import unit_specs, write_program
from pocketmentor.programs.importer import (
    ActivitySpec,
    ImportReport,
    OptionSpec,
    ProgramSpec,
    UnitSpec,
    read_program,
)
from pocketmentor.programs.models import Activity, Card, Option, Program, RecallQuestion, Unit

LIBRARY = Path(__file__).resolve().parent.parent / "library"


@transaction.atomic
def program_import(
    *,
    organization: Organization,
    folder: Path,
    start_date: dt.date | None = None,
    state: str | None = None,
    publish: bool = False,
    report: ImportReport | None = None,
) -> Program:
    """Create the organization's program from a folder, or update the one with its slug.

    The whole folder is checked first and refused with every problem (ProgramFolderError),
    so nothing is half-imported. An update keeps answers attached: units are matched by
    number and activities by place and kind, and what has answers is kept out of sight
    rather than deleted. `report`, when given, is filled in with what changed.
    """
    if state is not None and state not in Program.State.values:
        raise ValueError(f"Unknown program state {state!r}.")
    spec = read_program(folder)
    report = report if report is not None else ImportReport()
    now = timezone.now()
    program = _program_save(organization, spec, start_date=start_date, state=state, report=report)
    before = {} if report.created else unit_specs(program)
    existing = {unit.number: unit for unit in program.units.all()}
    in_place: dict[int, list[int]] = {}
    for unit_spec in spec.units:
        unit = _unit_save(program, existing.pop(unit_spec.number, None), unit_spec,
                          publish=publish, now=now, report=report)  # fmt: skip
        _cards_replace(unit, unit_spec)
        in_place[unit.number] = _activities_sync(unit, unit_spec.activities, now=now, report=report)
        _recall_sync(unit, unit_spec)
    for unit in existing.values():
        _unit_retire(unit, report)
    if before:
        _changes_count(before, unit_specs(program), in_place, report)
    # Also when imported from the command line, outside a studio request.
    signals.content_changed.send(Program, organization=organization)
    return program


def program_export(*, program: Program, folder: Path) -> None:
    """Write the program as a folder: program.yaml and one Markdown file per unit."""
    write_program(program, folder)


def _program_save(
    organization: Organization,
    spec: ProgramSpec,
    *,
    start_date: dt.date | None,
    state: str | None,
    report: ImportReport,
) -> Program:
    fields = {
        "title": spec.title,
        "description": spec.description,
        "language": spec.language,
        "release_time": spec.release_time,
        "time_zone": spec.time_zone,
    }
    program = (
        Program.objects.select_for_update()
        .filter(organization=organization, slug=spec.slug)
        .first()
    )
    if program is None:
        report.created = True
        # Today where the program runs: near midnight, UTC may already be tomorrow.
        today = timezone.now().astimezone(ZoneInfo(spec.time_zone)).date()
        return Program.objects.create(
            organization=organization,
            slug=spec.slug,
            start_date=start_date or spec.start_date or today,
            state=state or Program.State.DRAFT,
            **fields,
        )
    for name, value in fields.items():
        setattr(program, name, value)
    # A running program keeps its start unless the caller or the folder names one.
    program.start_date = start_date or spec.start_date or program.start_date
    program.state = state or program.state
    program.save()
    return program


def _unit_save(
    program: Program,
    unit: Unit | None,
    spec: UnitSpec,
    *,
    publish: bool,
    now: dt.datetime,
    report: ImportReport,
) -> Unit:
    if unit is None:
        report.units_created += 1
        unit = Unit(program=program, number=spec.number)
    unit.title, unit.summary = spec.title, spec.summary
    if publish and unit.published_at is None:
        unit.published_at = now
        report.units_published += 1
    unit.save()
    return unit


def _changes_count(
    before: dict[int, UnitSpec],
    after: dict[int, UnitSpec],
    in_place: dict[int, list[int]],
    report: ImportReport,
) -> None:
    """Units and activities kept in place: updated when their content differs, else unchanged."""
    for number, positions in in_place.items():
        old, new = before.get(number), after[number]
        if old is None:
            continue  # added by this import
        if old == new:
            report.units_unchanged += 1
        else:
            report.units_updated += 1
        for position in positions:
            same = old.activities[position - 1] == new.activities[position - 1]
            if same:
                report.activities_unchanged += 1
            else:
                report.activities_updated += 1


def _unit_retire(unit: Unit, report: ImportReport) -> None:
    """A unit the folder no longer has: deleted, unless that would delete answers."""
    if unit.activities.filter(responses__isnull=False).exists():
        unit.published_at = None
        unit.save(update_fields=["published_at"])
        report.units_unpublished.append(unit.number)
    else:
        unit.delete()
        report.units_deleted.append(unit.number)


def _cards_replace(unit: Unit, spec: UnitSpec) -> None:
    # Nothing points at a card, so replacing them all is the simplest faithful update; the
    # ones deleted in the studio go too, so no undo brings back a card the folder replaced.
    Card.everything.filter(unit=unit).delete()
    Card.objects.bulk_create(
        Card(unit=unit, position=position, kind=card.kind, body=card.body, url=card.url,
             caption=card.caption, captions=card.captions)
        for position, card in enumerate(spec.cards, start=1)
    )  # fmt: skip


def _activities_sync(
    unit: Unit, specs: list[ActivitySpec], *, now: dt.datetime, report: ImportReport
) -> list[int]:
    """Match the unit's live activities to the folder's by place and kind.

    The n-th activity in the file updates the unit's n-th live activity when both are of
    the same kind (a scale poll and a choice poll count as different kinds), so reworded
    activities keep their answers. Any other is replaced, and the old one retired. Returns
    the places of the activities kept (updated in place), for the report to compare.
    """
    chosen = Option.objects.annotate(chosen=Count("responses")).order_by("position", "pk")
    live = list(
        unit.activities.live()
        .annotate(answers=Count("responses"))
        .order_by("position", "pk")
        .prefetch_related(Prefetch("options", queryset=chosen))
    )
    kept = []
    for position, spec in enumerate(specs, start=1):
        current = live[position - 1] if position <= len(live) else None
        if current is not None and _shape(current) == spec.shape:
            _activity_save(current, spec, position)
            _options_sync(current, list(current.options.all()), spec.options, report)
            kept.append(position)
            continue
        if current is not None:
            _activity_retire(current, now, report)
        activity = _activity_save(Activity(unit=unit), spec, position)
        _options_sync(activity, [], spec.options, report)
        report.activities_created += 1
    for extra in live[len(specs) :]:
        _activity_retire(extra, now, report)
    return kept


def _recall_sync(unit: Unit, spec: UnitSpec) -> None:
    """The unit's key points as the folder has them: its quizzes marked `recall: true` (matched
    by the quiz), then its own questions (matched by place, so rewording keeps the history).

    A key point the folder no longer has is deleted, with its recall history.
    """
    current = list(unit.recall_questions.order_by("position", "pk"))
    live = list(unit.activities.live().order_by("position", "pk"))
    quizzes = [a for a, s in zip(live, spec.activities, strict=False) if s.recall]
    by_quiz = {q.activity_id: q for q in current if q.activity_id is not None}
    own = [q for q in current if q.activity_id is None]
    position = 0
    added: list[RecallQuestion] = []
    for quiz in quizzes:
        position += 1
        question = by_quiz.pop(quiz.pk, None) or RecallQuestion(unit=unit, activity=quiz)
        question.position = position
        if question.pk is None:
            added.append(question)
        question.save()
    for index, recall in enumerate(spec.recall):
        position += 1
        question = own[index] if index < len(own) else RecallQuestion(unit=unit)
        if question.pk is None:
            added.append(question)
        question.position, question.prompt, question.answer = (
            position,
            recall.question,
            recall.answer,
        )
        question.save()
    gone = [q.pk for q in by_quiz.values()] + [q.pk for q in own[len(spec.recall) :]]
    if gone:
        RecallQuestion.objects.filter(pk__in=gone).delete()
    if added:
        signals.recall_added.send(RecallQuestion, questions=added)


def _shape(activity: Activity) -> str:
    return "poll-scale" if activity.is_scale else activity.kind


def _activity_save(activity: Activity, spec: ActivitySpec, position: int) -> Activity:
    scale = spec.scale
    activity.position = position
    activity.kind = spec.kind
    activity.prompt = spec.prompt
    activity.multiple = spec.multiple
    activity.scale_min = scale.min if scale else None
    activity.scale_max = scale.max if scale else None
    activity.scale_low = scale.low if scale else ""
    activity.scale_high = scale.high if scale else ""
    activity.save()
    return activity


def _activity_retire(activity: Activity, now: dt.datetime, report: ImportReport) -> None:
    """Gone from the folder: deleted, or removed from the pages when it has answers."""
    if activity.answers:  # type: ignore[attr-defined]  # annotated by the caller's query
        activity.removed_at = now
        activity.save(update_fields=["removed_at"])
        report.activities_removed += 1
    else:
        activity.delete()
        report.activities_deleted += 1


def _options_sync(
    activity: Activity, current: list[Option], specs: list[OptionSpec], report: ImportReport
) -> None:
    """Options matched by place; an extra one that an answer chose stays, after the rest."""
    for position, spec in enumerate(specs, start=1):
        option = current[position - 1] if position <= len(current) else Option(activity=activity)
        option.position, option.text = position, spec.text
        option.is_correct, option.feedback = spec.correct, spec.feedback
        option.save()
    for position, extra in enumerate(current[len(specs) :], start=len(specs) + 1):
        if extra.chosen:  # type: ignore[attr-defined]  # annotated by the caller's query
            # Option has no "removed" mark: deleting it would change the answers that chose it.
            extra.position = position
            extra.save(update_fields=["position"])
            report.options_kept += 1
        else:
            extra.delete()
