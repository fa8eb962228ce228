"""A web process compiles our templates when it starts, not on its first requests."""

import importlib
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.template import engines

from pocketmentor import wsgi
from pocketmentor.lib.startup import READY_MARK, warm_up


def cached_loader():
    return engines["django"].engine.template_loaders[0]


def test_warm_up_compiles_the_participant_pages_templates_and_only_ours():
    loader = cached_loader()
    loader.reset()
    assert "learning/unit.html" not in loader.get_template_cache
    warm_up()
    compiled = set(loader.get_template_cache)
    assert {"learning/unit.html", "learning/_activity.html", "base.html"} <= compiled
    assert not any(name.startswith("admin/") for name in compiled)  # Django's own: on demand


def test_the_web_application_is_warm_once_imported():
    cached_loader().reset()
    importlib.reload(wsgi)  # as a web process starts
    assert "learning/unit.html" in cached_loader().get_template_cache


@pytest.mark.skipif(not settings.REDIS_URL, reason="the caches are in Redis only with REDIS_URL")
def test_a_web_process_has_its_redis_client_before_its_first_request(tmp_path):
    """redis-py takes 90 ms to import: the first participant after a restart does not wait."""
    code = "import sys; from pocketmentor import wsgi; print('redis' in sys.modules)"
    env = os.environ | {"DATA_DIR": str(tmp_path)}
    started = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert started.stdout.strip() == "True", started.stderr[-2000:]


def test_a_web_process_says_in_the_log_when_it_is_ready(tmp_path):
    """One line a worker: an operator, and the bench, can tell when every worker is ready."""
    env = os.environ | {"DATA_DIR": str(tmp_path), "LOG_LEVEL": "INFO"}
    started = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", "from pocketmentor import wsgi"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    ready = [line for line in started.stderr.splitlines() if READY_MARK in line]
    assert len(ready) == 1, started.stderr[-2000:]
    assert re.search(r"Web process \d+ is ready: warmed up in \d+\.\d\d s of CPU", ready[0])
