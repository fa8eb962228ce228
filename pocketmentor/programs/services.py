"""Writes of program content."""

import datetime as dt
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pocketmentor.orgs.models import Organization
from pocketmentor.programs.importer import read_program
from pocketmentor.programs.models import Activity, Card, Option, Program, Unit

LIBRARY = Path(__file__).resolve().parent / "library"


@transaction.atomic
def program_import(
    *,
    organization: Organization,
    folder: Path,
    start_date: dt.date,
    state: str = Program.State.DRAFT,
    publish: bool = False,
) -> Program:
    """Create a program, its units, cards, activities and options from a folder."""
    spec = read_program(folder)
    program = Program.objects.create(
        organization=organization,
        title=spec.title,
        slug=spec.slug,
        description=spec.description,
        language=spec.language,
        start_date=start_date,
        release_time=spec.release_time,
        time_zone=spec.time_zone,
        state=state,
    )
    for unit_spec in spec.units:
        unit = Unit.objects.create(
            program=program,
            number=unit_spec.number,
            title=unit_spec.title,
            summary=unit_spec.summary,
            published_at=timezone.now() if publish else None,
        )
        Card.objects.bulk_create(
            Card(unit=unit, position=i, kind=c.kind, body=c.body, url=c.url, caption=c.caption)
            for i, c in enumerate(unit_spec.cards, start=1)
        )
        for position, raw in enumerate(unit_spec.activities, start=1):
            scale = raw.get("scale") or {}
            activity = Activity.objects.create(
                unit=unit,
                position=position,
                kind=raw["kind"],
                prompt=raw["prompt"].strip(),
                multiple=bool(raw.get("multiple")),
                scale_min=scale.get("min") if scale else None,
                scale_max=scale.get("max") if scale else None,
                scale_low=scale.get("low", ""),
                scale_high=scale.get("high", ""),
            )
            Option.objects.bulk_create(
                Option(
                    activity=activity,
                    position=i,
                    text=str(o["text"]),
                    is_correct=bool(o.get("correct")),
                    feedback=str(o.get("feedback", "")).strip(),
                )
                for i, o in enumerate(raw.get("options") or [], start=1)
            )
    return program
