import os
import sys
import tempfile

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from pocketmentor import server
from pocketmentor.lib.env import env_int
from pocketmentor.lib.startup import database_check, migrate_under_lock


class Command(BaseCommand):
    help = (
        "Collect static files and serve with Granian (workers from the cores); "
        "--migrate applies migrations first, one node at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("WEB_WORKERS", os.cpu_count() or 1, minimum=1, maximum=256),
        )
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="apply migrations first, under a lock so that nodes starting together take turns",
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Run a worker beside the server, stopped with it (what the demo does).",
        )

    def handle(
        self, *args, host: str, port: int, workers: int, migrate: bool, with_worker: bool, **options
    ):
        database_check()
        if migrate:
            migrate_under_lock(stdout=sys.stdout, verbosity=options["verbosity"])
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Serving on http://{host}:{port} with {workers} workers (Ctrl+C stops).")
        sys.stdout.flush()
        if settings.METRICS_TOKEN and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            # The server's processes add up their request figures in files here for /metrics.
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
                prefix="pocketmentor-metrics-"
            )
        command = server.command(host=host, port=port, workers=workers)
        if with_worker:
            sys.exit(server.serve_with_worker(command))
        # Replace this process with the server.
        os.execv(sys.executable, command)  # noqa: S606
