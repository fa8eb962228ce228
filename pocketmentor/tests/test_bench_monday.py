"""Monday morning in `make bench`: first views of distinct participants, and server CPU time."""

import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client

from pocketmentor import demo
from pocketmentor.bench import monday
from pocketmentor.bench.database import database_url
from pocketmentor.bench.pages import program_path
from pocketmentor.insights.models import LearningRecord
from pocketmentor.nudges.tests.conftest import on_postgresql


@pytest.mark.django_db
def test_bench_sessions_sign_participants_in_without_viewing_anything():
    demo.demo_seed(language="nb")
    enrollments = monday.enough_participants(300)  # the demo has 250: fifty more are enrolled
    assert len({e.user_id for e in enrollments}) == 300
    assert len({e.program_id for e in enrollments}) == 1
    cookies = monday.sign_in([enrollments[-1].user])
    assert LearningRecord.objects.filter(enrollment=enrollments[-1]).count() == 0
    client = Client()
    for part in cookies[0].split("; "):
        name, value = part.split("=", 1)
        client.cookies[name] = value
    response = client.get(program_path(enrollments[-1]))
    assert response.status_code == 200
    assert response.context["enrollment"] == enrollments[-1]
    assert settings.SESSION_COOKIE_NAME in cookies[0]


def test_server_cpu_time_counts_a_process_and_grows_with_its_work():
    before = monday.server_cpu_seconds(os.getpid())
    deadline = before + 0.05
    while monday.server_cpu_seconds(os.getpid()) < deadline:
        sum(range(10_000))
    assert monday.server_cpu_seconds(os.getpid()) >= deadline


@on_postgresql  # the server processes open the test database, which SQLite keeps in memory
@pytest.mark.django_db(transaction=True)
def test_monday_morning_reports_first_views_kept_pages_and_rotation(tmp_path: Path):
    real_now = time_machine.escape_hatch.time.time()
    with time_machine.travel(real_now, tick=True):  # the server runs on the real clock
        demo.demo_seed(language="nb")
        figures = monday.measure(
            size="municipality",
            database_url=database_url(connection.settings_dict),
            folder=tmp_path,
            progress=lambda text: None,
            first=3,
            rotation=12,
            seconds=1,
        )
    values = {name: value for name, value, _unit in figures}
    for run in ("first-views.sequential", "first-views.c10", "kept", "rotation-12"):
        assert values[f"monday.{run}.errors"] == 0
        assert values[f"monday.{run}.rps"] > 0
        assert values[f"monday.{run}.cpu_ms"] > 0
    assert values["monday.rotation-12.kept_share_cpu"] > 0
    assert values["monday.load_average"] >= 0
