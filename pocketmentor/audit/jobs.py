"""The audit log's periodic job, run by `pocketmentor worker` (lib/schedule.py)."""

import datetime as dt

from pocketmentor.audit.services import audit_prune
from pocketmentor.lib.schedule import periodic


@periodic("audit.prune", every=dt.timedelta(minutes=1))
def prune(now: dt.datetime) -> None:
    """Entries past AUDIT_RETENTION_DAYS."""
    audit_prune(now=now)
