"""Messages planned when something happens in the apps below: the signals nudges subscribes to."""

from django.db import transaction
from django.dispatch import receiver

from pocketmentor.insights import signals as insights
from pocketmentor.learning import signals as learning
from pocketmentor.learning.models import Feedback
from pocketmentor.nudges.planning import plan_asked_reminder, plan_feedback


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


@receiver(insights.reminder_asked, dispatch_uid="nudges.reminder_asked")
def reminder_asked(sender, *, enrollment, now, **kwargs) -> str:
    """The dashboard's reminder, planned as a nudge in the request's transaction; "" or why
    not, which the dashboard shows the facilitator."""
    return plan_asked_reminder(enrollment, now=now)
