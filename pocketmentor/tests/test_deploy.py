"""The recipes in deploy/ (docs/deploy.md), checked by the tools that will run them.

Caddy's own validator reads each Caddyfile and systemd's reads the service units, when those
tools are installed (CI installs Caddy). The compose file and the Containerfile are read here.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ["pocketmentor-web.service", "pocketmentor-worker@.service"]

CADDY, SYSTEMD_ANALYZE = shutil.which("caddy"), shutil.which("systemd-analyze")
needs_caddy = pytest.mark.skipif(CADDY is None, reason="apt-get install caddy")


@needs_caddy
@pytest.mark.parametrize("site", ["one-machine/Caddyfile", "containers/Caddyfile"])
def test_caddy_accepts_each_site(site, tmp_path):
    checked = subprocess.run(  # noqa: S603 - our tools, our files
        [CADDY, "validate", "--config", str(DEPLOY / site), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
    )
    assert checked.returncode == 0, checked.stderr
    assert "Valid configuration" in checked.stdout + checked.stderr


@needs_caddy
@pytest.mark.parametrize("site", ["one-machine/Caddyfile", "containers/Caddyfile"])
def test_each_caddyfile_is_formatted_as_caddy_writes_it(site):
    text = (DEPLOY / site).read_text()
    formatted = subprocess.run(  # noqa: S603
        [CADDY, "fmt", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert formatted.stdout == text


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="no systemd-analyze")
def test_service_units_pass_systemds_own_check(tmp_path):
    """`systemd-analyze verify`, with the program where this checkout installed it."""
    program = str(Path(sys.executable).parent / "pocketmentor")
    for unit in UNITS:
        text = (DEPLOY / "one-machine" / unit).read_text()
        assert "/opt/pocketmentor/bin/pocketmentor " in text
        text = text.replace("/opt/pocketmentor/bin/pocketmentor", program)
        (tmp_path / unit.replace("@.", "@1.")).write_text(text)
    checked = subprocess.run(  # noqa: S603 - our tools, our files
        [SYSTEMD_ANALYZE, "verify", *(str(p) for p in sorted(tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Unknown keys are only warned about: any word about our files is a mistake.
    problems = [line for line in checked.stderr.splitlines() if str(tmp_path) in line]
    assert checked.returncode == 0 and not problems, checked.stderr


def test_units_run_the_server_and_the_worker_as_an_unprivileged_user():
    for unit in UNITS:
        text = (DEPLOY / "one-machine" / unit).read_text()
        assert re.search(r"^User=pocketmentor$", text, re.M)
        assert re.search(r"^EnvironmentFile=/etc/pocketmentor/pocketmentor.env$", text, re.M)
    worker = (DEPLOY / "one-machine" / "pocketmentor-worker@.service").read_text()
    assert "ExecStart=/opt/pocketmentor/bin/pocketmentor worker" in worker
    assert re.search(r"^TimeoutStopSec=120$", worker, re.M)  # time to finish a batch


def test_compose_runs_web_and_worker_from_one_image_beside_postgres_redis_and_caddy():
    compose = yaml.safe_load((DEPLOY / "containers" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "postgres", "redis", "proxy"}
    web, worker = services["web"], services["worker"]
    assert web["image"] == worker["image"] and web["build"]["dockerfile"] == "Containerfile"
    assert web["command"] == ["pocketmentor", "serve", "--migrate"]
    assert worker["command"] == ["pocketmentor", "worker"]
    # One data folder for both: an Excel export the worker makes is downloaded from the web.
    assert web["volumes"] == worker["volumes"] == ["web-data:/data"]
    for app in (web, worker):
        assert app["environment"]["DATABASE_URL"].endswith("@postgres:5432/pocketmentor")
        assert app["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]


def test_the_image_is_built_in_two_stages_and_runs_as_a_user():
    lines = [
        line
        for line in (DEPLOY.parent / "Containerfile").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0].startswith("ARG BASE=")  # users name their own base image
    stages = [n for n, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) == 2
    final = lines[stages[1] :]
    assert "COPY --from=build /opt/pocketmentor /opt/pocketmentor" in final
    assert "USER pocketmentor" in final
    assert not any(re.search(r"apt-get|gcc|build-essential", line) for line in final)
