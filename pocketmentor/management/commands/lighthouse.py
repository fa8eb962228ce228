"""Lighthouse, mobile mode, on the running demo's participant pages; JSON lines like `bench`."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from pocketmentor.demo import demo_people

LIGHTHOUSE = "lighthouse@13.5.0"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)


class Command(BaseCommand):
    help = "Score the demo's this-week and unit pages with Lighthouse (needs npx and Chromium)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.SITE_URL, help="Where the demo is served.")

    def handle(self, *args, url: str, **options):
        npx = shutil.which("npx")
        if not npx:
            raise CommandError("Lighthouse runs with npx: install Node.js and npm first.")
        chromium = shutil.which("chromium") or shutil.which("google-chrome")
        if not chromium:
            raise CommandError("Lighthouse needs Chromium: apt-get install chromium.")
        people = demo_people()
        if people is None:
            raise CommandError("No demo here: run `make demo` first, then this in another shell.")
        client = Client()
        client.force_login(people["participant"])  # a session, as a signed-in phone has
        headers = json.dumps({"Cookie": f"sessionid={client.cookies['sessionid'].value}"})
        enrollment = people["participant"].enrollments.select_related("program").get()
        base = f"{url.rstrip('/')}/o/demo/{enrollment.program.slug}/"
        for page, path in (("this-week", ""), ("unit", "week/1/")):
            scores = self._scores(npx, base + path, headers, chromium)
            for category, score in scores.items():
                line = {
                    "bench": f"lighthouse.{page}.{category}",
                    "value": round(score * 100),
                    "unit": "score",
                    "size": "municipality",
                    "db": connection.vendor,
                }
                self.stdout.write(json.dumps(line))

    def _scores(self, npx: str, url: str, headers: str, chromium: str) -> dict[str, float]:
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "report.json"
            subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [
                    npx, "--yes", LIGHTHOUSE, url, "--quiet", "--form-factor=mobile",
                    "--only-categories=performance,accessibility,best-practices",
                    f"--chrome-flags={CHROME_FLAGS}", f"--extra-headers={headers}",
                    "--output=json", f"--output-path={report}",
                ],
                check=True,
                env={**os.environ, "CHROME_PATH": chromium},
            )  # fmt: skip
            data = json.loads(report.read_text())
        return {name: category["score"] for name, category in data["categories"].items()}
