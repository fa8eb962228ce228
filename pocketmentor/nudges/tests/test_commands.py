"""The operators' commands: preview, plan, and the worker run once."""

from io import StringIO

from django.core.management import call_command

from pocketmentor.nudges.models import Nudge
from pocketmentor.nudges.tests.conftest import at, local


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_preview_shows_what_would_be_sent_without_planning_it(ann, bob, admin_user, program):
    with at(local(2026, 3, 22, 18, 0)):
        summary = run("nudges", "preview", "--days", "7")
        people = run("nudges", "preview", "--days", "2", "--people")
    assert not Nudge.objects.exists()
    assert "Mon 2026-03-23 07:30 CET  release         2  Leading" in summary
    assert "Wed 2026-03-25 12:00 CET  reminder        2  Leading" in summary
    assert "Fri 2026-03-27 13:00 CET  digest          1  Leading" in summary
    assert "Mon 2026-03-23 07:30 CET  release   Leading  Ann" in people


def test_plan_then_preview_counts_each_message_once(ann, bob, program):
    with at(local(2026, 3, 23, 6, 0)):
        assert run("nudges", "plan").strip() == "Planned 2 new messages."
        assert "2 messages before" in run("nudges", "preview", "--days", "1")


def test_the_worker_runs_once_and_sends(ann, program, inbox):
    with at(local(2026, 3, 23, 7, 30, 5)):
        call_command("worker", "--once")
    assert [m["To"] for m in inbox.messages] == ["ann@fjordvik.example"]
