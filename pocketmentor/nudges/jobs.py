"""The nudges' periodic jobs, run by `pocketmentor worker` (lib/schedule.py): planning, and
forgetting the background tasks the worker finished."""

import datetime as dt
import logging

from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from pocketmentor.lib.schedule import periodic
from pocketmentor.nudges import planning

logger = logging.getLogger(__name__)
PLAN_EVERY = dt.timedelta(minutes=1)
KEEP_TASK_RESULTS = dt.timedelta(days=1)


@periodic("nudges.plan", every=PLAN_EVERY)
def plan(now: dt.datetime) -> None:
    """The rows due in the next 36 hours that do not exist yet."""
    created = planning.plan(now=now)
    if created:
        logger.info("Planned %d messages", created)


@periodic("nudges.task_results_prune", every=PLAN_EVERY)
def task_results_prune(now: dt.datetime) -> None:
    """Finished background tasks older than a day, when the queue is the database's."""
    if type(task_backends["default"]).__name__ != "DatabaseBackend":
        return
    DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_TASK_RESULTS).delete()
