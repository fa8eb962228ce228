"""What other apps call when something happens that someone should hear about."""

from django.db import transaction


def feedback_received(*, feedback) -> None:
    """Plan the message to the reflection's writer once the feedback is committed.

    `robust`: a failure here is logged and never undoes or breaks the reply itself.
    """
    transaction.on_commit(lambda: _plan_feedback(feedback.pk), robust=True)


def _plan_feedback(feedback_id: int) -> None:
    from pocketmentor.learning.models import Feedback
    from pocketmentor.nudges.planning import plan_feedback

    feedback = (
        Feedback.objects.select_related("response__enrollment__program", "response__activity")
        .filter(pk=feedback_id)
        .first()
    )
    if feedback is not None:
        plan_feedback(feedback)
