"""Periodic jobs: each app declares its own, `pocketmentor worker` runs whatever is declared.

An app registers its jobs in its `jobs.py`, imported by its AppConfig's `ready`:

    @periodic("audit.prune", every=dt.timedelta(minutes=1))
    def prune(now: dt.datetime) -> None: ...

Each worker keeps a `Schedule`: a job runs when it never ran in this process, or once its
interval has passed since it last did (or the clock went back). A job that fails is logged in
one line and tried again at its next interval, and the jobs after it still run; an outage
(the database unreachable, the disk full: lib/outage.py) fails the whole round instead, so
the worker logs one line for it and tries every job again in its next round.
"""

import dataclasses
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable

from pocketmentor.lib.outage import outage_line, outage_of

logger = logging.getLogger(__name__)

JobFunction = Callable[[dt.datetime], object]


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    function: JobFunction


# The declared jobs by name, in the order the apps declared them.
JOBS: dict[str, Job] = {}

# What this process's jobs and background tasks have done since it started, by kind
# ("sent", "failed", "forwarded"): the worker's heartbeat reports it.
done: Counter = Counter()


def periodic(name: str, *, every: dt.timedelta) -> Callable[[JobFunction], JobFunction]:
    """Declare `function(now)` a job run every `every`; the same name declared again replaces it."""
    if every <= dt.timedelta(0):
        raise ValueError(f"A periodic job needs a positive interval, not {every}.")

    def register(function: JobFunction) -> JobFunction:
        JOBS[name] = Job(name=name, every=every, function=function)
        return function

    return register


class Schedule:
    """When each job last ran in one worker, and running those whose time has come."""

    def __init__(self, jobs: Iterable[Job] | None = None):
        self._jobs = None if jobs is None else list(jobs)
        self.ran_at: dict[str, dt.datetime] = {}

    @property
    def jobs(self) -> list[Job]:
        """The jobs given, or else every declared job, as declared now."""
        return list(JOBS.values()) if self._jobs is None else self._jobs

    def due(self, now: dt.datetime) -> list[Job]:
        return [job for job in self.jobs if self._is_due(job, now)]

    def _is_due(self, job: Job, now: dt.datetime) -> bool:
        last = self.ran_at.get(job.name)
        return last is None or not (last <= now < last + job.every)

    def run_due(self, now: dt.datetime, *, everything: bool = False) -> list[str]:
        """Run the jobs due at `now` (all of them with `everything`); the names that failed.

        An outage is raised at once: the round fails, and the jobs not run yet stay due.
        """
        failed = []
        for job in self.jobs if everything else self.due(now):
            try:
                job.function(now)
            except Exception as error:
                if outage_of(error):
                    raise
                logger.error(
                    "Periodic job %s failed, %s; trying again in %ss",
                    job.name,
                    outage_line(error),
                    int(job.every.total_seconds()),
                    exc_info=logger.isEnabledFor(logging.DEBUG),
                )
                failed.append(job.name)
            self.ran_at[job.name] = now
        return failed
