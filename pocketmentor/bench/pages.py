"""Queries, compressed bytes and time of each participant page, measured in this process."""

import gzip
import re
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pocketmentor.bench import Figure
from pocketmentor.learning.models import Enrollment

PAGES = {
    "this-week": "",
    "unit": "week/4/",
    "progress": "progress/",
    "reflections": "reflections/",
}
KEPT = ("this-week", "unit")  # the pages learning/pages.py keeps once rendered
ASSET = re.compile(rb'(?:href|src)="/static/([^"]+)"')
BRAND = re.compile(rb'href="(/brand/[^"]+\.css)"')  # the organization's colours


def program_path(enrollment: Enrollment) -> str:
    program = enrollment.program
    return f"/o/{program.organization.slug}/{program.slug}/"


def participants(count: int) -> list[Enrollment]:
    """The first enrollments: the first is the participant whose pages are measured."""
    enrollments = Enrollment.objects.select_related("user", "program__organization")
    return list(enrollments.order_by("pk")[:count])


def measure() -> list[Figure]:
    enrollment = participants(1)[0]
    client = Client(headers={"accept-encoding": "gzip"})
    client.force_login(enrollment.user)
    figures = []
    for name, suffix in PAGES.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(program_path(enrollment) + suffix)
        count = len(queries)  # now: each request clears the log
        if response.status_code != 200:
            raise RuntimeError(f"page {name} answered {response.status_code}")
        html = len(response.content)
        body = gzip.decompress(response.content)
        brand = sum(len(gzip.compress(client.get(u.decode()).content)) for u in BRAND.findall(body))
        first_load = html + _assets_bytes(body) + brand
        figures += [
            Figure(f"page.{name}.queries", count, "queries"),
            Figure(f"page.{name}.html_bytes", html, "bytes gzip"),
            Figure(f"page.{name}.first_load_bytes", first_load, "bytes gzip"),
        ]
        if name in KEPT:
            figures += _kept(client, program_path(enrollment) + suffix, name)
    return figures


def _kept(client: Client, path: str, name: str) -> list[Figure]:
    """The page rendered (kept pages forgotten first) and as kept: queries and median time."""
    rendered = [_time(client, path, forget=True) for _ in range(20)]
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    count = len(queries)  # now: each request clears the log
    kept = [_time(client, path) for _ in range(200)]
    return [
        Figure(f"page.{name}.rendered_ms", round(statistics.median(rendered), 2), "ms"),
        Figure(f"page.{name}.kept_queries", count, "queries"),
        Figure(f"page.{name}.kept_ms", round(statistics.median(kept), 2), "ms"),
    ]


def _time(client: Client, path: str, *, forget: bool = False) -> float:
    if forget:
        caches["pages"].clear()
    start = time.perf_counter()
    client.get(path)
    return (time.perf_counter() - start) * 1000


def _assets_bytes(html: bytes) -> int:
    """The CSS and JavaScript a page links, each gzip-compressed."""
    return sum(len(gzip.compress(_asset(n.decode()).read_bytes())) for n in ASSET.findall(html))


def _asset(name: str) -> Path:
    # Fingerprinted names exist only among the collected files.
    found = finders.find(name)
    return Path(found) if found else Path(settings.STATIC_ROOT) / name
