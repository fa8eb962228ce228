"""`make bench`: figures on generated data, one JSON object per line.

Runs against a throwaway test database (never the configured one), seeded like the demo.
"""

import gzip
import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, get_runner, setup_test_environment

from pocketmentor.demo import demo_people, demo_seed

PAGES = {
    "this-week": "",
    "unit": "week/4/",
    "progress": "progress/",
    "reflections": "reflections/",
}


class Command(BaseCommand):
    help = "Measure participant pages on generated data and print JSON lines."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["municipality"], default="municipality")

    def handle(self, *args, size: str, **options):
        setup_test_environment()
        runner = get_runner(settings)(verbosity=0, interactive=False)
        old_config = runner.setup_databases()
        try:
            demo_seed(language="nb")
            self._pages(size)
        finally:
            runner.teardown_databases(old_config)

    def _emit(self, bench: str, value: float, unit: str, size: str) -> None:
        line = {"bench": bench, "value": value, "unit": unit, "size": size, "db": connection.vendor}
        self.stdout.write(json.dumps(line))

    def _pages(self, size: str) -> None:
        participant = demo_people()["participant"]
        client = Client(headers={"accept-encoding": "gzip"})
        client.force_login(participant)
        enrollment = participant.enrollments.select_related("program__organization").get()
        base = f"/o/{enrollment.program.organization.slug}/{enrollment.program.slug}/"
        for name, suffix in PAGES.items():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(base + suffix)
            assert response.status_code == 200, (name, response.status_code)
            html = response.content
            assets = re.findall(rb'(?:href|src)="/static/([^"]+)"', gzip.decompress(html))
            asset_bytes = sum(
                len(gzip.compress(Path(finders.find(a.decode())).read_bytes())) for a in assets
            )
            self._emit(f"page.{name}.queries", len(queries), "queries", size)
            self._emit(f"page.{name}.html_bytes", len(html), "bytes gzip", size)
            self._emit(f"page.{name}.first_load_bytes", len(html) + asset_bytes, "bytes gzip", size)
