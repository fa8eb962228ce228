import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import time_machine
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from pocketmentor import demo
from pocketmentor.accounts.models import User
from pocketmentor.bench.load import free_port
from pocketmentor.conftest import OSLO
from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.lib.env import email_settings
from pocketmentor.lib.markdown import render_markdown
from pocketmentor.management.commands.demo import login_link_command
from pocketmentor.orgs.models import Membership
from pocketmentor.programs.models import Group, Program, Seminar


def test_healthz_says_the_database_answers(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["database"] == "ok"


def test_markdown_keeps_formatting_and_drops_scripts():
    html = render_markdown("**Bold** <script>x()</script>\n\n[a](javascript:x) [b](https://e.no)")
    assert "<strong>Bold</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html
    assert 'href="https://e.no"' in html


def test_email_url_is_read_into_smtp_settings():
    got = email_settings("submission://user%40x.no:p%40ss@mail.x.no")
    assert got["EMAIL_HOST"] == "mail.x.no" and got["EMAIL_PORT"] == 587
    assert got["EMAIL_HOST_USER"] == "user@x.no" and got["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert got["EMAIL_USE_TLS"] is True


def test_malformed_email_url_stops_start_up():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings("pigeon://coop")


@pytest.mark.django_db
def test_demo_seeds_a_municipality_five_weeks_in():
    org = demo.demo_seed(language="nb")
    program = Program.objects.get(organization=org)
    assert program.week_at() == 5
    assert Enrollment.objects.filter(program=program).count() == 250
    sizes = Group.objects.filter(program=program).annotate(n=Count("enrollments"))
    assert sizes.count() == 25 and {g.n for g in sizes} == {10}
    assert Seminar.objects.filter(program=program).count() == 2
    # Active in a week: completed at least one activity during it.
    shares = []
    for week in range(1, 5):
        active = (
            Response.objects.filter(
                enrollment__program=program,
                created_at__gte=program.opens_at(week),
                created_at__lt=program.opens_at(week + 1),
            )
            .values("enrollment")
            .distinct()
            .count()
        )
        shares.append(active / 250)
    assert shares == sorted(shares, reverse=True)
    assert 0.7 < shares[0] < 0.95 and 0.4 < shares[3] < 0.65


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 11, 23, 7, 29, tzinfo=OSLO),  # Monday, before the release
        dt.datetime(2026, 11, 23, 7, 30, tzinfo=OSLO),
        dt.datetime(2026, 11, 29, 23, 59, tzinfo=OSLO),  # Sunday night
    ],
)
def test_demo_is_always_in_its_fifth_week_on_a_monday_start(moment):
    with time_machine.travel(moment, tick=False):
        program = Program.objects.get(organization=demo.demo_seed(language="en"))
        assert program.week_at() == 5
    assert program.start_date.weekday() == 0


@pytest.mark.django_db
def test_demo_never_seeds_over_other_data(ann):
    with pytest.raises(demo.DemoRefused):
        demo.demo_seed()
    assert not Program.objects.filter(organization__slug="demo").exists()


@pytest.mark.django_db
def test_demo_command_prints_a_link_for_each_role(capsys):
    call_command("demo", "--no-serve", "--language", "en")
    out = capsys.readouterr().out
    for role in ("Admin (HR)", "Facilitator", "Participant"):
        assert any(
            line.strip().startswith(role) and "/login/?t=" in line for line in out.splitlines()
        )
    call_command("demo", "--no-serve")  # a second run reuses the demo
    assert Program.objects.filter(organization__slug="demo").count() == 1
    again = capsys.readouterr().out
    assert "The demo was seeded in 'en' and is kept; --language nb seeds only an empty" in again
    User.objects.update(language="nb")  # the admin chose Norwegian in the app
    call_command("demo", "--no-serve")
    still = capsys.readouterr().out
    assert "The demo was seeded in 'en' and is kept; --language nb seeds only an empty" in still


@pytest.mark.django_db
def test_demo_command_names_the_port_for_more_links(capsys, monkeypatch):
    monkeypatch.delenv("DATA_DIR")  # the suite's own; settings read it already
    monkeypatch.setenv("PORT", "8080")
    call_command("demo", "--no-serve")
    assert "`PORT=8080 pocketmentor login-link EMAIL` prints another." in capsys.readouterr().out


def test_more_links_are_asked_for_with_the_demos_data_folder_and_program_path(
    monkeypatch, tmp_path
):
    """As after `DATA_DIR=… PORT=8080 make demo`: neither setting nor .venv/bin is the shell's."""
    monkeypatch.setenv("DATA_DIR", "/srv/pocket mentor")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [".venv/bin/pocketmentor", "demo"])
    assert login_link_command() == (
        "DATA_DIR='/srv/pocket mentor' PORT=8080 .venv/bin/pocketmentor login-link EMAIL"
    )
    # Installed where the shell finds it, the command is its name alone.
    installed = tmp_path / "pocketmentor"
    installed.write_text("#!/bin/sh\n")
    installed.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(installed), "demo"])
    monkeypatch.delenv("DATA_DIR")
    assert login_link_command() == "PORT=8080 pocketmentor login-link EMAIL"


def test_tests_never_read_the_developers_data_folder():
    """The demo's collected, fingerprinted static files and its database stay out of tests."""
    assert Path(settings.DATA_DIR).name.startswith("pocketmentor-tests-")
    assert Path(settings.STATIC_ROOT).parent == Path(settings.DATA_DIR)


@pytest.mark.django_db
def test_demo_history_has_invitations_and_sign_ins(client):
    org = demo.demo_seed(language="en")
    program = Program.objects.get(organization=org)
    participants = Membership.objects.filter(organization=org, role=Membership.Role.PARTICIPANT)
    assert not participants.filter(invited_at__isnull=True).exists()
    assert not participants.filter(invited_at__gt=program.opens_at(1)).exists()
    signed_in = User.objects.filter(memberships__in=participants, last_login__isnull=False)
    # Everyone who opened a unit signed in first, before the last five weeks' end.
    assert signed_in.count() > 240
    assert not signed_in.filter(last_login__lt=program.opens_at(1) - dt.timedelta(days=3)).exists()
    assert not User.objects.filter(last_login__gt=timezone.now()).exists()
    client.force_login(demo.demo_people()["admin"])
    page = client.get(f"/{org.slug}/people/").content.decode()
    assert "not invited yet" not in page
    assert page.count("<td>Not yet</td>") == 0


@pytest.mark.timeout(300)  # seeds the whole demo, then starts a server and a worker
def test_demo_serves_with_a_worker_and_writes_e_mail_to_its_outbox(tmp_path):
    """`pocketmentor demo` runs a worker beside the server; Ctrl+C stops both."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in DEMO_UNSET}
    env.update(DATA_DIR=str(tmp_path), PORT=str(port), WEB_WORKERS="1")
    demo_process = subprocess.Popen(
        [sys.executable, "-m", "pocketmentor.cli", "demo", "--language", "en"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        for line in demo_process.stdout:  # bounded by the test's time limit
            lines.append(line)
            if "Started worker-1" in line:  # the server's first process answers
                break
        printed = "".join(lines)
        outbox = tmp_path / "outbox"
        assert f"written to {outbox}/" in printed
        site = f"http://127.0.0.1:{port}"
        session = requests.Session()
        # Granian's processes may take a moment to accept after they say they started.
        session.mount(site, HTTPAdapter(max_retries=Retry(connect=10, backoff_factor=0.25)))
        form = session.get(f"{site}/login/new/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        sent = session.post(
            f"{site}/login/new/",
            data={"csrfmiddlewaretoken": token, "email": "leder001@fjordvik.example"},
            headers={"Referer": f"{site}/login/new/"},
            timeout=30,
        )
        assert sent.status_code == 200, sent.text
        # The link is sent once the answer is out; the server's one thread takes the next
        # request only after that.
        session.get(f"{site}/healthz", timeout=30)
        mail = "".join(p.read_text() for p in outbox.glob("*.log"))
        assert "To: leder001@fjordvik.example" in mail and f"{site}/login/?t=" in mail
        children = _children(demo_process.pid)
        assert len(children) == 2  # the server and the worker
    finally:
        running = _children(demo_process.pid) if demo_process.poll() is None else []
        demo_process.send_signal(signal.SIGINT)
        try:
            rest = demo_process.communicate(timeout=90)[0]
        finally:
            for pid in running:  # in groups of their own: nothing outlives a failed test
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            demo_process.kill()
    assert demo_process.returncode == 0
    output = "".join(lines) + rest  # the worker may start before or after the server
    assert re.search(r"Worker \S+ started", output) and re.search(r"Worker \S+ stopped", rest)
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)


DEMO_UNSET = {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "TASKS_BACKEND", "SITE_URL"}


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.parametrize(
    ("hosts", "sender", "warned"),
    [
        (["learn.example"], "Pocketmentor <pocketmentor@localhost>", True),
        (["learn.example"], "learning@fjordvik.local", True),
        (["learn.example"], "Fjordvik kommune <learning@fjordvik.no>", False),
        (["127.0.0.1", "localhost"], "Pocketmentor <pocketmentor@localhost>", False),
    ],
)
def test_a_real_host_is_warned_about_a_localhost_sender(settings, hosts, sender, warned):
    settings.ALLOWED_HOSTS, settings.DEFAULT_FROM_EMAIL = hosts, sender
    found = [m for m in run_checks() if m.id == "pocketmentor.W001"]
    assert bool(found) is warned
    if warned:
        assert "DEFAULT_FROM_EMAIL" in found[0].msg and "learning@fjordvik.no" in found[0].hint
