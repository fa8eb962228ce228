"""The insights' periodic jobs, run by `pocketmentor worker` (lib/schedule.py): the first
views of units noted in Redis recorded, the live programs' figures and reflection themes kept
current, new learning records forwarded to the LRS when one is set, and Excel exports deleted
a day after they were asked for.
"""

import dataclasses
import datetime as dt
import logging

from pocketmentor.insights import exports, forward
from pocketmentor.insights.services import figures_current, opened_flush
from pocketmentor.insights.services.themes import themes_refresh
from pocketmentor.lib import schedule
from pocketmentor.lib.schedule import periodic
from pocketmentor.programs.models import Program

logger = logging.getLogger(__name__)
FORWARD_BATCHES = 20  # of XAPI_FORWARD_BATCH records a minute at most


@periodic("insights.opened", every=dt.timedelta(seconds=5))
def opened(now: dt.datetime) -> None:
    """With Redis, a participant's first view of a unit in a day is noted there, not written
    (learning/tracking.py): its record is written here, with the others noted since, at each
    round of the worker (every `NUDGES_WORKER_INTERVAL` seconds when it is idle)."""
    written = opened_flush()
    if written:
        logger.debug("Recorded %d units opened", written)


@periodic("insights.figures", every=dt.timedelta(minutes=1))
def figures(now: dt.datetime) -> None:
    """Rebuilds run only here, so that the dashboard's views rarely pay for one."""
    for program in Program.objects.filter(state=Program.State.LIVE):
        figures_current(program=program, now=now, rebuild=True)


@periodic("insights.themes", every=dt.timedelta(minutes=5))
def themes(now: dt.datetime) -> None:
    """Each live program's reflection themes, for the weeks whose reflections changed."""
    for program in Program.objects.filter(state=Program.State.LIVE):
        weeks = themes_refresh(program=program, now=now)
        if weeks:
            logger.info("Themes of %s recomputed for weeks %s", program.slug, weeks)


@periodic("insights.forward", every=dt.timedelta(minutes=1))
def records_forward(now: dt.datetime) -> None:
    """Each LRS batch gets one try a minute, so a slow or broken LRS never holds up the
    worker; what it does not take waits for the next minute."""
    lrs = forward.configured_lrs()
    if lrs is None:
        return
    try:
        sent = forward.forward_pending(
            lrs=dataclasses.replace(lrs, retries=0, timeout=10), batches=FORWARD_BATCHES
        )
    except forward.ForwardError as problem:
        logger.warning("Learning records were not forwarded: %s", problem)
    else:
        schedule.done["forwarded"] += sent
        if sent:
            logger.info("Forwarded %d learning records", sent)


@periodic("insights.exports_prune", every=dt.timedelta(hours=1))
def exports_prune(now: dt.datetime) -> None:
    """Excel files made by a worker are kept a day from their request, no longer."""
    deleted = exports.exports_prune(now)
    if deleted:
        logger.info("Deleted %d Excel exports older than a day", deleted)
