"""Reads for the nudge pages: the log of what was sent to whom, and the failures."""

from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.db.models.functions import Coalesce

from pocketmentor.nudges.dispatch import REASONS
from pocketmentor.nudges.models import Delivery, Nudge
from pocketmentor.programs.models import Program

PER_PAGE = 100


def nudge_log(*, program: Program, state: str = "", page: int | str = 1) -> Page:
    """The program's messages, the latest first: sent ones by when they went, others by when due."""
    rows = (
        Nudge.objects.filter(program=program)
        .select_related("person", "unit")
        .annotate(moment=Coalesce("sent_at", "next_attempt_at"))
        .order_by("-moment", "-pk")
    )
    if state in Nudge.State.values:
        rows = rows.filter(state=state)
    page_obj = Paginator(rows, PER_PAGE).get_page(page)
    for nudge in page_obj:
        nudge.reason = REASONS.get(nudge.error, nudge.error)  # type: ignore[attr-defined]  # for the page
    return page_obj


def state_counts(*, program: Program) -> dict[str, int]:
    counts = dict(
        Nudge.objects.filter(program=program)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {state: counts.get(state, 0) for state in Nudge.State.values}


def recent_failures(*, program: Program, limit: int = 20) -> list[Delivery]:
    """Failed attempts with the server's reason, whether or not a later attempt succeeded."""
    return list(
        Delivery.objects.filter(nudge__program=program, ok=False)
        .select_related("nudge__person")
        .order_by("-at")[:limit]
    )
