"""The people app's periodic job, run by `pocketmentor worker` (lib/schedule.py)."""

import datetime as dt

from pocketmentor.lib.schedule import periodic
from pocketmentor.people.importing import files_prune


@periodic("people.files_prune", every=dt.timedelta(minutes=1))
def uploads_prune(now: dt.datetime) -> None:
    """People files uploaded and never confirmed, and the rows a worker read from them."""
    files_prune(now)
