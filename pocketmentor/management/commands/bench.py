"""`make bench`: figures on generated data, one JSON object per line on stdout.

Each size runs against its own throwaway test database (never the configured one): the data
is generated, the participant pages are measured in this process, then a Granian server on
the same database is put under load by wrk. Progress goes to stderr.
"""

import json
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import setup_test_environment

from pocketmentor.bench import (
    Figure,
    burst,
    dashboard,
    exports,
    fanout,
    generate,
    load,
    monday,
    pages,
    people,
)
from pocketmentor.bench import themes as themes_bench
from pocketmentor.bench.database import bench_database
from pocketmentor.demo import demo_people
from pocketmentor.programs.models import Program

SIZES = ["municipality", "national"]


class Command(BaseCommand):
    help = "Measure participant pages and a server under load on generated data (JSON lines)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=[*SIZES, "all"], default="municipality")
        parser.add_argument(
            "--duration", type=int, default=10, help="seconds of measured load (after a warm-up)"
        )
        parser.add_argument(
            "--no-load", action="store_true", help="only the data and page figures: no server"
        )
        parser.add_argument(
            "--burst",
            action="store_true",
            help="only the burst: 200 answers at once, the database cut for 5 s (PostgreSQL)",
        )
        parser.add_argument(
            "--themes",
            action="store_true",
            help="only the reflection themes: their quality on the labelled set, and their speed",
        )
        parser.add_argument(
            "--exports",
            action="store_true",
            dest="exports_only",
            help="only the data and the exports: CSV streamed, Excel built as the worker does",
        )
        parser.add_argument(
            "--monday",
            action="store_true",
            help="only the data and Monday morning: first views after a restart, rotation",
        )
        parser.add_argument(
            "--fanout",
            type=int,
            metavar="N",
            help="only the release fan-out, to N participants, on an empty database",
        )
        parser.add_argument(
            "--workers", type=int, help="worker processes for the fan-out (default: one per core)"
        )

    def handle(
        self,
        *args,
        size: str,
        duration: int,
        no_load: bool,
        burst: bool,
        monday: bool,
        themes: bool,
        exports_only: bool,
        fanout: int | None,
        workers: int | None,
        **options,
    ):
        if burst:
            self._burst()
            return
        if exports_only:
            setup_test_environment()
            for name in SIZES if size == "all" else [size]:
                self._exports_only(name)
            return
        if fanout:
            self._fanout(fanout, workers=workers)
            return
        self._progress("reflection themes: the labelled set, and 250 people x 8 weeks")
        self._emit(themes_bench.measure(), "labelled")
        if themes:
            return
        if not no_load and not monday:
            load.require_wrk()  # before minutes of data generation, not after
        setup_test_environment()
        for name in SIZES if size == "all" else [size]:
            self._size(name, duration=duration, with_load=not no_load, only_monday=monday)

    def _size(self, size: str, *, duration: int, with_load: bool, only_monday: bool) -> None:
        with (
            tempfile.TemporaryDirectory(prefix="pocketmentor-bench-") as folder,
            bench_database(Path(folder)) as database_url,
        ):
            self._progress(f"{size} on {connection.vendor}: generating data")
            self._emit(generate.seed(size), size)
            if with_load:
                self._progress(f"{size}: Monday morning")
                self._emit(
                    monday.measure(
                        size=size,
                        database_url=database_url,
                        folder=Path(folder),
                        progress=lambda text: self._progress(f"{size}: {text}"),
                        seconds=duration,
                    ),
                    size,
                    pages=monday.kept_in(),
                )
            if only_monday:
                return
            self._progress(f"{size}: measuring pages")
            self._emit(pages.measure(), size)
            if size == "municipality":  # the national data has no learning records (yet)
                self._progress(f"{size}: measuring the engagement dashboard")
                self._emit(self._dashboard(), size)
            # Before the import below adds 10,000 participants to the measured program.
            self._emit(self._exports(database_url, Path(folder), size), size)
            self._progress(f"{size}: importing 10,000 participants from a CSV file")
            self._emit(people.measure(), size)
            if with_load:
                figures = load.measure(
                    database_url=database_url,
                    folder=Path(folder),
                    duration=duration,
                    progress=lambda text: self._progress(f"{size}: {text}"),
                )
                self._emit(figures, size, pages=monday.kept_in())
            self._emit(
                fanout.measure(size=size, database_url=database_url, progress=self._progress), size
            )

    def _exports_only(self, size: str) -> None:
        with (
            tempfile.TemporaryDirectory(prefix="pocketmentor-bench-") as folder,
            bench_database(Path(folder)) as database_url,
        ):
            self._progress(f"{size} on {connection.vendor}: generating data")
            self._emit(generate.seed(size), size)
            self._emit(self._exports(database_url, Path(folder), size), size)

    def _exports(self, database_url: str, folder: Path, size: str) -> list[Figure]:
        self._progress(f"{size}: the participants export, CSV and Excel")
        return exports.measure(
            database_url=database_url,
            folder=folder,
            progress=lambda text: self._progress(f"{size}: {text}"),
        )

    def _fanout(self, participants: int, *, workers: int | None) -> None:
        """The release fan-out alone, to `participants` people on an empty bench database;
        the figures' size is the bench size of that many participants, else the number."""
        sizes = {count: name for name, count in fanout.PARTICIPANTS.items()}
        setup_test_environment()
        with (
            tempfile.TemporaryDirectory(prefix="pocketmentor-fanout-") as folder,
            bench_database(Path(folder)) as database_url,
        ):
            figures = fanout.release_fanout(
                participants=participants,
                database_url=database_url,
                workers=workers,
                progress=self._progress,
            )
            self._emit(
                [Figure(*figure) for figure in figures], sizes.get(participants, str(participants))
            )

    def _burst(self) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The burst cuts the connection to PostgreSQL: set DATABASE_URL to a PostgreSQL"
                " database (the bench makes its own test_<name>_bench from it)."
            )
        setup_test_environment()
        with (
            tempfile.TemporaryDirectory(prefix="pocketmentor-burst-") as folder,
            bench_database(Path(folder)),
        ):
            self._emit(burst.measure(folder=Path(folder), progress=self._progress), "municipality")

    def _dashboard(self) -> list[Figure]:
        people = demo_people()
        program = Program.objects.get(organization__slug="demo")
        return [Figure(*f) for f in dashboard.measure(program=program, user=people["admin"])]

    def _emit(self, figures: list[Figure], size: str, **fields: str) -> None:
        for figure in figures:
            line = figure._asdict() | {"size": size, "db": connection.vendor} | fields
            self.stdout.write(json.dumps(line))
        self.stdout.flush()

    def _progress(self, text: str) -> None:
        self.stderr.write(text)
        self.stderr.flush()
