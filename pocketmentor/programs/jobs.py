"""The programs app's periodic job, run by `pocketmentor worker` (lib/schedule.py)."""

import datetime as dt

from pocketmentor.lib.schedule import periodic
from pocketmentor.programs.services import removed_purge


@periodic("programs.removed_purge", every=dt.timedelta(minutes=1))
def purge(now: dt.datetime) -> None:
    """Cards and unanswered activities deleted in the studio, past the undo window."""
    removed_purge(now=now)
