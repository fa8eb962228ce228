"""`pocketmentor worker`: run the periodic jobs, enqueue the sending of what is due, run the tasks.

Each round: run the periodic jobs whose time has come — whatever the apps declared in their
`jobs.py` (lib/schedule.py), among them the nudges' planning — drop what is too late, enqueue
one `deliver_due` task per batch of due rows, then run the queued tasks until the queue is
empty — the database's queue (django-tasks-db) or Redis (RQ), whichever TASKS names. Any
number of workers may run on any number of machines: claims never overlap and every queue
hands a task to one worker. The worker knows no other app: it runs only what is declared.
"""

import logging
import math
import secrets
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django_tasks import task_backends

from pocketmentor.lib.outage import outage_line, outage_of
from pocketmentor.lib.schedule import Schedule
from pocketmentor.nudges import dispatch, heartbeat
from pocketmentor.nudges.tasks import deliver_due

logger = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        *,
        name: str = "",
        batch: int | None = None,
        max_batches: int = 20,
        stop: threading.Event | None = None,
    ):
        self.name = name or dispatch.worker_name()
        self.batch = batch or settings.NUDGES_BATCH_SIZE
        self.max_batches = max_batches
        self.stop = stop or threading.Event()
        self.schedule = Schedule()  # the jobs every app declared, each at its interval
        self.started_at = timezone.now()
        heartbeat.done.clear()  # one worker a process: its totals start now

    def round(self, *, plan: bool = False) -> int:
        """One pass; the number of rows that were due (at most a round's worth).

        `plan` runs every periodic job, due or not. A failing job is logged and the others
        run; an outage fails the round, in one line (`run`).
        """
        now = timezone.now()
        self.schedule.run_due(now, everything=plan)
        dropped = dispatch.drop_stale(now=now)
        if dropped:
            logger.info("Dropped %d messages that were too late", dropped)
        due = dispatch.due_count(now=now, limit=self.batch * self.max_batches)
        if due:
            backend = task_backends["default"]
            task = deliver_due.using(queue_name=min(backend.queues or {deliver_due.queue_name}))
            for _ in range(math.ceil(due / self.batch)):
                task.enqueue(limit=self.batch)
        run_tasks(name=self.name, stop=self.stop)
        heartbeat.heartbeat_record(name=self.name, started_at=self.started_at, now=timezone.now())
        return due

    def run_until_idle(self, *, max_rounds: int = 100) -> None:
        """Rounds until nothing is due (tests, `--once`)."""
        self.round(plan=True)
        for _ in range(max_rounds):
            if self.stop.is_set() or not self.round():
                return

    def run(self, *, interval: float | None = None) -> None:
        interval = settings.NUDGES_WORKER_INTERVAL if interval is None else interval
        logger.info("Worker %s started (%s)", self.name, settings.TASKS["default"]["BACKEND"])
        while not self.stop.is_set():
            close_old_connections()
            try:
                due = self.round()
            except Exception as error:
                if outage_of(error):  # not our bug, and it passes: one line a round
                    logger.error(
                        "Worker round failed, %s; trying again in %ss",
                        outage_line(error),
                        interval,
                    )
                else:
                    logger.exception("A worker round failed; trying again")
                due = 0
            close_old_connections()
            if due < self.batch * self.max_batches:  # a full round means more is waiting
                self.stop.wait(interval)
        logger.info("Worker %s stopped", self.name)


def run_tasks(*, name: str, stop: threading.Event | None = None) -> int:
    """Run the queued tasks of the configured backend until none is left; how many ran."""
    backend = task_backends["default"]
    kind = type(backend).__name__
    if kind == "DatabaseBackend":
        return _run_database(backend.alias, name=name, stop=stop)
    if kind == "RQBackend":
        return _run_rq(backend, name=name, stop=stop)
    return 0  # ImmediateBackend and the like ran the task when it was enqueued


def _run_database(alias: str, *, name: str, stop: threading.Event | None) -> int:
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    ready = DBTaskResult.objects.ready().filter(backend_name=alias)
    ran = 0
    while not (stop and stop.is_set()):
        with exclusive_transaction(ready.db):
            result = ready.get_locked()  # SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL
            if result is None:
                return ran
            result.claim(name[:64])
        try:
            queued = result.task_result
            value = result.task.call(*queued.args, **queued.kwargs)
        except Exception as error:
            if outage_of(error):
                raise  # the task stays claimed; its rows are due again after their lease
            logger.exception("Task %s failed", result.task_path)
            result.set_failed(error)
        else:
            result.set_successful(value)
        ran += 1
    return ran


def _run_rq(backend, *, name: str, stop: threading.Event | None) -> int:
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker
    from rq.timeouts import TimerDeathPenalty

    class InProcessWorker(SimpleWorker):
        """Runs jobs in this thread: no fork, no signal handlers (the command has its own),
        and it stops between two jobs when the command is asked to stop."""

        death_penalty_class = TimerDeathPenalty
        _stop_flag = False

        def _install_signal_handlers(self):
            pass

        @property
        def _stop_requested(self) -> bool:
            return self._stop_flag or bool(stop and stop.is_set())

        @_stop_requested.setter
        def _stop_requested(self, value: bool) -> None:
            self._stop_flag = value

    queues = [django_rq.get_queue(queue, job_class=Job) for queue in sorted(backend.queues)]
    if stop and stop.is_set():
        return 0
    worker = InProcessWorker(
        queues,
        connection=queues[0].connection,
        job_class=Job,
        name=f"{name[:40]}-{secrets.token_hex(4)}",
    )
    worker.work(burst=True, logging_level="WARNING")  # until the queues are empty
    return worker.successful_job_count + worker.failed_job_count
