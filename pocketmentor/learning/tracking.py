"""What participants see, told once per unit and day (insights records it), not on every view.

A page view that wrote a row every time would slow every page. A mark in the cache (Redis when
`REDIS_URL` is set, shared by every process) says that today's record of a unit is written,
so a repeat view, from any phone, adds no write and no query: no session is written either.
Without Redis each process keeps its own marks, so a person's view may be recorded once per
process and day. The funnel counts a person once whatever the records (insights/rollups.py),
and the weekly active rate counts only answers (docs/insights.md).
"""

from django.core.cache import cache
from django.utils import timezone

from pocketmentor.learning import signals

OPENED, READ = "opened", "read"
PREFIX = "tracked:"  # of every mark's key
KEEP = 2 * 86_400  # seconds a mark outlives its day


def _mark(verb: str, enrollment_id: int, unit_id: int) -> str:
    return f"{PREFIX}{verb}:{enrollment_id}:{unit_id}:{timezone.now().date().isoformat()}"


def _first_time(verb: str, enrollment_id: int, unit_id: int) -> bool:
    """True once a day per person and unit; `add` is atomic, so in one process only."""
    return cache.add(_mark(verb, enrollment_id, unit_id), 1, KEEP)


def seen(enrollment_id: int, unit_id: int) -> bool:
    """Whether opening the unit is recorded today already."""
    return cache.get(_mark(OPENED, enrollment_id, unit_id)) is not None


def unit_viewed(request, enrollment, unit) -> None:
    """The participant opened a unit: one record the first time in the day."""
    if _first_time(OPENED, enrollment.pk, unit.pk):
        signals.unit_opened.send(type(unit), enrollment=enrollment, unit=unit)


def cards_seen(request, enrollment, unit) -> None:
    """The participant reached the end of a unit's cards: one record, as for opening."""
    if _first_time(READ, enrollment.pk, unit.pk):
        signals.cards_read.send(type(unit), enrollment=enrollment, unit=unit)
