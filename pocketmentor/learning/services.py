"""Writes of the participant app: each state change is one function here."""

import uuid
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.programs.models import Activity


class KeyConflict(Exception):
    """The idempotency key already belongs to another response."""


@transaction.atomic
def response_record(
    *,
    enrollment: Enrollment,
    activity: Activity,
    key: uuid.UUID,
    text: str = "",
    value: int | None = None,
    option_ids: Iterable[int] = (),
    visibility: str = Response.Visibility.PRIVATE,
) -> tuple[Response, bool]:
    """Store what a participant did; a replayed key or a second answer changes nothing.

    Returns the response and whether this call changed anything. Reflections and task
    notes can be rewritten later; quiz and poll answers are final once given.
    """
    existing = (
        Response.objects.select_for_update()
        .filter(enrollment=enrollment, activity=activity)
        .first()
    )
    if existing is None:
        if Response.objects.filter(key=key).exists():
            raise KeyConflict(key)
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    enrollment=enrollment,
                    activity=activity,
                    key=key,
                    text=text,
                    value=value,
                    visibility=visibility,
                )
        except IntegrityError:  # a concurrent request with the same key or activity won
            return Response.objects.get(enrollment=enrollment, activity=activity), False
        if option_ids:
            response.choices.set(option_ids)
        return response, True
    if existing.key == key or not activity.takes_text:
        return existing, False
    if (existing.text, existing.visibility) == (text, visibility):
        return existing, False
    return response_edit(response=existing, text=text, visibility=visibility), True


@transaction.atomic
def response_edit(*, response: Response, text: str, visibility: str) -> Response:
    """Rewrite a reflection or a task note, or change who may see it."""
    response.text = text
    response.visibility = visibility
    response.updated_at = timezone.now()
    response.save(update_fields=["text", "visibility", "updated_at"])
    return response
