"""A person's learning records: their part of the data export, and of an erasure."""

import uuid

from django.db import transaction
from django.db.models import Q

from pocketmentor.insights import records
from pocketmentor.insights.models import LearningRecord
from pocketmentor.learning.models import Enrollment
from pocketmentor.privacy import registry


def _records_about(user) -> Q:
    return Q(actor=user) | Q(enrollment__in=Enrollment.objects.filter(user=user).values("pk"))


@registry.section("learning_records")
def records_of(user, organization=None) -> list[dict]:
    """The statements about a person (what they did, and feedback they received), oldest first.

    With `organization`, only that organization's. For the person's data export.
    """
    rows = LearningRecord.objects.filter(_records_about(user))
    if organization is not None:
        rows = rows.filter(program__organization=organization)
    return list(rows.order_by("timestamp", "id").values_list("statement", flat=True))


@registry.erase_step
@transaction.atomic
def records_erase(user) -> int:
    """Anonymise the person in their records: a random account name, no link to them.

    The records stay, so the figures keep their history; they no longer lead to anyone.
    """
    anonymous = f"erased-{uuid.uuid4().hex}"
    own = str(user.pk)
    changed = []
    for record in LearningRecord.objects.filter(_records_about(user)).iterator(2000):
        statement = record.statement
        if record.actor_id == user.pk or record.actor_name == own:
            statement["actor"]["account"]["name"] = anonymous
            record.actor_id, record.actor_name = None, anonymous
        learner = (
            statement.get("context", {}).get("extensions", {}).get(records.extension("learner"))
        )
        if learner and learner.get("account", {}).get("name") == own:
            learner["account"]["name"] = anonymous
        changed.append(record)
    LearningRecord.objects.bulk_update(
        changed, ["statement", "actor", "actor_name"], batch_size=1000
    )
    return len(changed)
