"""Writes of the studio: each change an author makes to a program is one function here."""

import datetime as dt
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Max, Model, QuerySet
from django.utils import timezone

from pocketmentor.orgs.models import Organization
from pocketmentor.programs import signals
from pocketmentor.programs.models import Activity, Card, Option, Program, RecallQuestion, Unit
from pocketmentor.programs.selectors import UNDO_WINDOW, weeks_of
from pocketmentor.programs.services.folders import LIBRARY, program_import

TEMPLATES = {
    "leadership/en": "Leadership between seminars (8 weeks, English)",
    "leadership/nb": "Ledelse mellom samlingene (8 uker, norsk)",
    "onboarding/en": "New manager onboarding (6 weeks, English)",
    "onboarding/nb": "Ny som leder (6 uker, norsk)",
}


def available_templates() -> dict[str, str]:
    """The shipped templates whose folder is present."""
    return {key: label for key, label in TEMPLATES.items() if (LIBRARY / key).is_dir()}


@transaction.atomic
def program_create(*, organization: Organization, template: str = "", **fields) -> Program:
    """A new draft program, empty or with a shipped template's units (unpublished)."""
    if not template:
        return Program.objects.create(organization=organization, **fields)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "program"
        shutil.copytree(LIBRARY / template, copy)
        meta = yaml.safe_load((copy / "program.yaml").read_text(encoding="utf-8"))
        meta.update(title=fields["title"], slug=fields["slug"])
        (copy / "program.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
        program = program_import(
            organization=organization, folder=copy, start_date=fields["start_date"]
        )
    program_update(program=program, **fields)
    return program


@transaction.atomic
def program_update(*, program: Program, **fields) -> Program:
    for name, value in fields.items():
        setattr(program, name, value)
    program.full_clean()
    program.save()
    return program


@transaction.atomic
def program_duplicate(*, program: Program, title: str, slug: str, start_date: dt.date) -> Program:
    """A copy for a new cohort: the content, not the people, groups or answers."""
    copy = Program.objects.create(
        organization=program.organization,
        title=title,
        slug=slug,
        description=program.description,
        language=program.language,
        start_date=start_date,
        release_time=program.release_time,
        time_zone=program.time_zone,
    )
    for unit in program.units.prefetch_related("cards", "activities__options"):
        new_unit = Unit.objects.create(
            program=copy,
            number=unit.number,
            title=unit.title,
            summary=unit.summary,
            published_at=unit.published_at and timezone.now(),
        )
        Card.objects.bulk_create(
            Card(unit=new_unit, **_fields(card, "position", "kind", "body", "url", "caption"))
            for card in unit.cards.all()
        )
        for activity in unit.activities.all():
            if activity.removed_at:
                continue
            new_activity = Activity.objects.create(unit=new_unit, **_activity_fields(activity))
            Option.objects.bulk_create(
                Option(
                    activity=new_activity,
                    **_fields(option, "position", "text", "is_correct", "feedback"),
                )
                for option in activity.options.all()
            )
    return copy


def _fields(obj: Model, *names: str) -> dict:
    return {name: getattr(obj, name) for name in names}


def _activity_fields(activity: Activity) -> dict:
    return _fields(
        activity, "position", "kind", "prompt", "multiple",
        "scale_min", "scale_max", "scale_low", "scale_high",
    )  # fmt: skip


@transaction.atomic
def unit_create(*, program: Program, title: str, summary: str = "") -> Unit:
    last = program.units.aggregate(last=Max("number"))["last"] or 0
    return Unit.objects.create(program=program, number=last + 1, title=title, summary=summary)


@transaction.atomic
def unit_update(*, unit: Unit, title: str, summary: str) -> Unit:
    unit.title, unit.summary = title, summary
    unit.save(update_fields=["title", "summary"])
    return unit


@transaction.atomic
def unit_publish(*, unit: Unit, published: bool) -> Unit:
    """Publish (participants see it when its week opens) or take back to draft."""
    if published and unit.published_at is None:
        unit.published_at = timezone.now()
    elif not published:
        unit.published_at = None
    unit.save(update_fields=["published_at"])
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, step: int) -> None:
    """Swap the unit with its neighbour: week numbers follow."""
    neighbour = Unit.objects.filter(program=unit.program, number=unit.number + step).first()
    if neighbour is None:
        return
    number = unit.number
    Unit.objects.filter(pk=unit.pk).update(number=32000)  # clear the unique number first
    Unit.objects.filter(pk=neighbour.pk).update(number=number)
    Unit.objects.filter(pk=unit.pk).update(number=number + step)


@transaction.atomic
def card_save(*, unit: Unit, card: Card | None = None, **fields) -> Card:
    """Add a card at the end of the unit, or change one."""
    if card is None:
        # After the removed ones too, so that an undone card comes back in its own place.
        card = Card(unit=unit, position=_next_position(Card.everything.filter(unit=unit)))
    for name, value in fields.items():
        setattr(card, name, value)
    card.save()
    return card


@transaction.atomic
def card_delete(*, card: Card) -> None:
    """Take a card off the pages at once; it can be brought back within the undo window."""
    now = timezone.now()
    Card.everything.filter(pk=card.pk, removed_at__isnull=True).update(removed_at=now)
    card.removed_at = card.removed_at or now
    removed_purge(now=now)


@transaction.atomic
def activity_save(
    *, unit: Unit, activity: Activity | None = None, options: Sequence[dict] = (), **fields
) -> Activity:
    """Add an activity or change one; options are matched by position so answers stay put."""
    if activity is None:
        activity = Activity(unit=unit, position=_next_position(unit.activities.all()))
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.save()
    existing = {o.position: o for o in activity.options.all()}
    for position, data in enumerate(options, start=1):
        option = existing.pop(position, None) or Option(activity=activity, position=position)
        for name, value in data.items():
            setattr(option, name, value)
        option.save()
    for option in existing.values():  # no longer listed; one that was chosen stays for the figures
        if not option.responses.exists():
            option.delete()
    return activity


@transaction.atomic
def activity_remove(*, activity: Activity) -> None:
    """Take an activity off the pages at once; it can be brought back within the undo window.

    Later it is purged if nobody answered it; one with answers stays out of sight for good,
    its answers kept for the figures and exports."""
    now = timezone.now()
    Activity.objects.filter(pk=activity.pk, removed_at__isnull=True).update(removed_at=now)
    activity.removed_at = activity.removed_at or now
    removed_purge(now=now)


@transaction.atomic
def item_restore(*, item: Card | Activity, now: dt.datetime | None = None) -> bool:
    """Undo a deletion within the window: the same card or activity, in its place, with its
    options and answers. False when the window has passed; a second undo changes nothing."""
    now = now or timezone.now()
    manager = Card.everything if isinstance(item, Card) else Activity.objects
    restored = manager.filter(pk=item.pk, removed_at__gt=now - UNDO_WINDOW).update(removed_at=None)
    if restored:
        item.removed_at = None
    return bool(restored) or item.removed_at is None


def removed_purge(*, now: dt.datetime | None = None) -> int:
    """Delete for good what was removed before the undo window: cards, and activities nobody
    answered. The worker calls it every minute; every deletion calls it too."""
    before = (now or timezone.now()) - UNDO_WINDOW
    _, cards = Card.everything.filter(removed_at__lte=before).delete()
    unanswered = Activity.objects.filter(removed_at__lte=before, responses__isnull=True)
    gone = list(unanswered.values_list("pk", flat=True))
    _, activities = Activity.objects.filter(pk__in=gone).delete()
    return cards.get("programs.Card", 0) + activities.get("programs.Activity", 0)


@transaction.atomic
def program_go_live(*, program: Program) -> list[int] | None:
    """Make a draft (or finished) program live, publishing every complete draft week: the
    numbers of the weeks it published. None when the program was live already."""
    locked = Program.objects.select_for_update().get(pk=program.pk)
    if locked.state == Program.State.LIVE:
        return None
    ready = [week.unit for week in weeks_of(locked) if week.will_publish]
    Unit.objects.filter(pk__in=[unit.pk for unit in ready]).update(published_at=timezone.now())
    locked.state = program.state = Program.State.LIVE
    locked.save(update_fields=["state"])
    return [unit.number for unit in ready]


@transaction.atomic
def item_move(*, item: Card | Activity, step: int) -> None:
    """Swap a card or activity with its neighbour in the unit."""
    siblings: QuerySet[Card] | QuerySet[Activity]
    if isinstance(item, Activity):
        siblings = Activity.objects.filter(unit=item.unit, removed_at__isnull=True)
    else:
        siblings = Card.objects.filter(unit=item.unit)
    ordered: list[Card | Activity] = list(siblings.order_by("position", "pk"))
    index = ordered.index(item)
    if not 0 <= index + step < len(ordered):
        return
    ordered[index], ordered[index + step] = ordered[index + step], ordered[index]
    for position, sibling in enumerate(ordered, start=1):
        if sibling.position != position:
            type(item).objects.filter(pk=sibling.pk).update(position=position)


def _next_position(items: QuerySet) -> int:
    return (items.aggregate(last=Max("position"))["last"] or 0) + 1


# Key points to recall -------------------------------------------------------------------------


@transaction.atomic
def recall_add(*, unit: Unit, prompt: str = "", answer: str = "", activity: Activity | None = None):
    """Mark a key point of the unit: a quiz used again as recall, or a question and its answer.

    Those who answered in the unit already get it too, first due the week after the unit's."""
    if activity is not None:
        existing = RecallQuestion.objects.filter(activity=activity).first()
        if existing is not None:  # a repeated click changes nothing
            return existing
    question = RecallQuestion.objects.create(
        unit=unit,
        position=_next_position(unit.recall_questions.all()),
        activity=activity,
        prompt="" if activity is not None else prompt,
        answer="" if activity is not None else answer,
    )
    signals.recall_added.send(RecallQuestion, questions=[question])
    return question


@transaction.atomic
def recall_remove(*, question: RecallQuestion) -> None:
    """No longer a key point: it stops coming back, and its recall history goes with it."""
    question.delete()
