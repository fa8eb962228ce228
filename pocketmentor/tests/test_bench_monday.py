"""Monday morning in `make bench`: first views of distinct participants, and server CPU time."""

import os
import uuid
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
from pocketmentor.learning import tracking
from pocketmentor.learning.services import response_record
from pocketmentor.nudges.tests.conftest import on_postgresql
from pocketmentor.programs.models import Activity


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
    runs = ("first-views.sequential", "first-views.c10", "kept", "rotation-12.first-round",
            "rotation-12")  # fmt: skip
    for run in runs:
        assert values[f"monday.{run}.errors"] == 0
        assert values[f"monday.{run}.rps"] > 0
        assert values[f"monday.{run}.cpu_ms"] > 0
    assert values["monday.rotation-12.kept_share_cpu"] > 0
    assert 0 < values["monday.rotation-12.first-round.seconds"] < monday.FIRST_ROUND_LIMIT
    assert 0 <= values["monday.rotation-12.poll_answered"] <= 12
    assert values["monday.load_average"] >= 0
    if tracking.queued():  # the first views' records, written as the worker writes them
        assert values["monday.first-views.c10.recorded"] == 3
        assert values["monday.first-views.c10.recorded_cpu_ms"] > 0


def test_the_bench_says_where_the_server_keeps_pages(settings):
    memory = {"BACKEND": "pocketmentor.lib.caches.BytesLocMemCache", "LOCATION": "pages"}
    settings.CACHES = settings.CACHES | {"pages": memory}
    assert monday.kept_in() == "memory"
    redis = {"BACKEND": "pocketmentor.lib.caches.PagesRedisCache", "LOCATION": "redis://x"}
    settings.CACHES = settings.CACHES | {"pages": redis}
    assert monday.kept_in() == "redis"


@pytest.mark.django_db
def test_the_bench_counts_the_participants_whose_page_shows_this_weeks_poll_results():
    demo.demo_seed(language="en")
    enrollments = monday.enough_participants(260)
    before = monday.poll_answered(enrollments)
    program = enrollments[0].program
    poll = Activity.objects.get(
        unit__program=program, unit__number=program.week_at(), kind=Activity.Kind.POLL
    )
    quiet = enrollments[-1]  # enrolled by the bench: has answered nothing
    response_record(enrollment=quiet, activity=poll, key=uuid.uuid4(), value=2)
    assert monday.poll_answered(enrollments) == before + 1
    assert monday.poll_answered([quiet]) == 1
