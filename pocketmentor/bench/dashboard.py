"""The dashboard's figures for the benchmark harness: `measure` returns (bench, value, unit).

`make bench` adds them to its page figures at the municipality size, where the demo seed
has written the learning records and rollups the dashboard reads (docs/insights.md).
"""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pocketmentor.insights import services
from pocketmentor.insights.models import ProgramInsight


def measure(*, program, user, repeat: int = 5) -> list[tuple[str, float, str]]:
    """Queries and milliseconds of a dashboard view with current figures, and with a refresh."""
    client = Client()
    client.force_login(user)
    url = reverse("insights:dashboard", args=[program.organization.slug, program.slug])
    services.figures_refresh(program=program)
    client.get(url)  # sessions and templates warm
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # now: the next request clears the connection's log
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    ProgramInsight.objects.filter(program=program).update(refreshed_at=None)
    started = time.perf_counter()
    client.get(url)
    refreshed = (time.perf_counter() - started) * 1000
    return [
        ("page.dashboard.queries", count, "queries"),
        ("page.dashboard.ms", round(statistics.median(times), 1), "ms"),
        ("page.dashboard.refresh_ms", round(refreshed, 1), "ms"),
    ]
