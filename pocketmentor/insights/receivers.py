"""Learning records for what happens in the apps below: the signals insights subscribes to.

Each receiver runs in the sender's transaction, so a record exists exactly when the action
it describes does (insights/services/recording.py).
"""

from django.dispatch import receiver

from pocketmentor.accounts import signals as accounts
from pocketmentor.insights.services import recording
from pocketmentor.learning import signals as learning


@receiver(learning.response_recorded, dispatch_uid="insights.response_recorded")
def response_recorded(sender, *, response, option_ids=(), **kwargs) -> None:
    recording.response_recorded(response=response, option_ids=option_ids)


@receiver(learning.recall_answered, dispatch_uid="insights.recall_answered")
def recall_answered(sender, *, answer, **kwargs) -> None:
    recording.recall_answered(answer=answer)


@receiver(learning.response_sharing, dispatch_uid="insights.response_sharing")
def response_sharing(sender, *, response, audiences, **kwargs) -> None:
    recording.response_sharing(response=response, audiences=audiences)


@receiver(learning.feedback_given, dispatch_uid="insights.feedback_given")
def feedback_given(sender, *, feedback, **kwargs) -> None:
    recording.feedback_recorded(feedback=feedback)


@receiver(learning.reaction_given, dispatch_uid="insights.reaction_given")
def reaction_given(sender, *, reaction, **kwargs) -> None:
    recording.reaction_recorded(reaction=reaction)


@receiver(learning.unit_opened, dispatch_uid="insights.unit_opened")
def unit_opened(sender, *, enrollment, unit, **kwargs) -> None:
    recording.unit_opened(enrollment=enrollment, unit=unit)


@receiver(learning.cards_read, dispatch_uid="insights.cards_read")
def cards_read(sender, *, enrollment, unit, **kwargs) -> None:
    recording.cards_read(enrollment=enrollment, unit=unit)


@receiver(accounts.link_signed_in, dispatch_uid="insights.link_signed_in")
def link_signed_in(sender, *, user, **kwargs) -> None:
    recording.sign_in_recorded(user=user)
