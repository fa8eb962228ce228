"""The accounts' periodic jobs, run by `pocketmentor worker` (lib/schedule.py)."""

import datetime as dt

from pocketmentor.accounts.sessions import SessionStore
from pocketmentor.lib.schedule import periodic


@periodic("accounts.sessions_prune", every=dt.timedelta(minutes=1))
def sessions_prune(now: dt.datetime) -> None:
    """Signed-in sessions past their 90 days."""
    SessionStore.clear_expired()
