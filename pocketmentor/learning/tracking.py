"""What participants see, told once per unit (insights records it), never on a repeat view.

A page view that wrote a row every time would slow every page; the session remembers which
units already have their record, so a repeat view adds no query.
"""

from django.http import HttpRequest

from pocketmentor.learning import signals

OPENED, READ = "insights.opened", "insights.read"


def _first_time(request: HttpRequest, key: str, unit_id: int) -> bool:
    seen = request.session.get(key, [])
    if unit_id in seen:
        return False
    request.session[key] = [*seen, unit_id]
    return True


def seen(request: HttpRequest, unit_id: int) -> bool:
    """Whether this session has recorded opening the unit already."""
    return unit_id in request.session.get(OPENED, [])


def unit_viewed(request: HttpRequest, enrollment, unit) -> None:
    """The participant opened a unit: one record the first time in this session."""
    if _first_time(request, OPENED, unit.pk):
        signals.unit_opened.send(type(unit), enrollment=enrollment, unit=unit)


def cards_seen(request: HttpRequest, enrollment, unit) -> None:
    """The participant reached the end of a unit's cards: one record, as for opening."""
    if _first_time(request, READ, unit.pk):
        signals.cards_read.send(type(unit), enrollment=enrollment, unit=unit)
