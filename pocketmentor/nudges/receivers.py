"""Messages planned when something happens in the apps below: the signals nudges subscribes to."""

from django.db import transaction
from django.dispatch import receiver

from pocketmentor.learning import signals as learning
from pocketmentor.learning.models import Feedback
from pocketmentor.nudges.planning import plan_feedback


@receiver(learning.feedback_given, dispatch_uid="nudges.feedback_given")
def feedback_received(sender, *, feedback, **kwargs) -> None:
    """Plan the message to the reflection's writer once the feedback is committed.

    `robust`: a failure here is logged and never undoes or breaks the reply itself.
    """
    transaction.on_commit(lambda: _plan_feedback(feedback.pk), robust=True)


def _plan_feedback(feedback_id: int) -> None:
    feedback = (
        Feedback.objects.select_related("response__enrollment__program", "response__activity")
        .filter(pk=feedback_id)
        .first()
    )
    if feedback is not None:
        plan_feedback(feedback)
