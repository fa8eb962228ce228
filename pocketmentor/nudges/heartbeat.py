"""The workers' heartbeat: each round of `pocketmentor worker` says it ran, in the database.

Operators see it in three places: a banner on the studio's pages for admins when no worker
has finished a round for QUIET_AFTER, `/readyz`, and `/metrics`.
"""

import datetime as dt
import os
import socket

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pocketmentor.lib.schedule import done
from pocketmentor.nudges.models import WorkerHeartbeat

QUIET_AFTER = dt.timedelta(minutes=10)
FORGET_AFTER = dt.timedelta(days=7)  # a stopped worker's row, then, is only clutter

# What this process has done since it started (`done`, in lib/schedule.py): the tasks add
# to it as they run (dispatch.py), in this process whichever queue handed them over, and so
# do periodic jobs (insights/jobs.py: records forwarded).


@transaction.atomic
def heartbeat_record(*, name: str, started_at: dt.datetime, now: dt.datetime) -> None:
    """Record that the worker `name` finished a round now, with its totals so far."""
    WorkerHeartbeat.objects.update_or_create(
        name=name[:100],
        defaults={
            "host": socket.gethostname()[:100],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_round_at": now,
            "messages_sent": done["sent"],
            "messages_failed": done["failed"],
            "records_forwarded": done["forwarded"],
        },
    )
    WorkerHeartbeat.objects.filter(last_round_at__lt=now - FORGET_AFTER).delete()


def last_round_at() -> dt.datetime | None:
    """When any worker last finished a round; None if none ever did."""
    return WorkerHeartbeat.objects.aggregate(last=Max("last_round_at"))["last"]


def workers_quiet(*, now: dt.datetime | None = None) -> bool:
    """Whether no worker has finished a round for QUIET_AFTER: messages are not going out."""
    last = last_round_at()
    return last is None or last < (now or timezone.now()) - QUIET_AFTER
