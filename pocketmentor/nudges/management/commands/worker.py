"""`pocketmentor worker`: the background worker. Run one or more, on one or more machines."""

import signal

from django.core.management.base import BaseCommand

from pocketmentor.lib.startup import database_check
from pocketmentor.nudges.worker import Worker


class Command(BaseCommand):
    help = "Plan and send nudges, run background tasks; SIGTERM stops after the batch."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send what is due, then exit")
        parser.add_argument("--interval", type=float, help="seconds between rounds when idle")
        parser.add_argument("--batch", type=int, help="messages per task")
        parser.add_argument("--name", default="", help="this worker's name in the log")

    def handle(self, *args, once: bool, interval, batch, name: str, **options):
        database_check()
        worker = Worker(name=name, batch=batch)

        def stop(signum, frame):
            if worker.stop.is_set():  # a second signal: stop now
                raise SystemExit(1)
            self.stderr.write("Stopping after the current batch…")
            worker.stop.set()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            if once:
                worker.run_until_idle()
            else:
                worker.run(interval=interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
