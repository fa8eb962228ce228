"""A seminar's .ics file: valid iCalendar read back, and only for the program's people."""

import datetime as dt
import re

import pytest
from django.test import Client

from pocketmentor.conftest import OSLO, signed_in
from pocketmentor.learning.models import Enrollment
from pocketmentor.programs.calendar import escape, fold, plain_text, seminar_ics
from pocketmentor.programs.models import Program, Seminar


def parse(ics: str) -> list[tuple[str, str]]:
    """Content lines as (name, value), after checking the physical lines (RFC 5545, 3.1)."""
    assert ics.endswith("\r\n")
    for line in ics[:-2].split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line
        assert "\n" not in line and "\r" not in line
    unfolded = re.sub(r"\r\n[ \t]", "", ics)
    return [tuple(line.split(":", 1)) for line in unfolded[:-2].split("\r\n")]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def event_of(ics: str) -> dict[str, str]:
    lines = parse(ics)
    names = [name for name, _ in lines]
    assert names[:2] == ["BEGIN", "VERSION"] and lines[0][1] == "VCALENDAR"
    assert ("BEGIN", "VEVENT") in lines and lines[-2:] == [("END", "VEVENT"), ("END", "VCALENDAR")]
    assert ("VERSION", "2.0") in lines and "PRODID" in names
    start = lines.index(("BEGIN", "VEVENT"))
    return dict(lines[start + 1 : -2])


@pytest.fixture
def seminar(program):
    # Across the change to summer time in Norway, on Sunday 29 March 2026 at 02:00.
    return Seminar.objects.create(
        program=program,
        title="Vårsamling; dag 1, dag 2",
        starts_at=dt.datetime(2026, 3, 28, 9, 0, tzinfo=OSLO),
        ends_at=dt.datetime(2026, 3, 29, 16, 0, tzinfo=OSLO),
        place="Kulturhuset, sal 2",
        agenda="# Dag 1\n\n**09:00** Velkommen; kaffe\n\n- Lytting\n- Samtaler, del 2\n\n"
        + "Lang tekst med æøå " * 12,
    )


NOW = dt.datetime(2026, 3, 11, 11, 0, tzinfo=dt.UTC)


# The file itself ------------------------------------------------------------------------------


def test_text_is_escaped():
    assert escape("a,b;c\\d\r\ne\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


@pytest.mark.parametrize("text", ["x" * 200, "æøå" * 60, "🙂" * 40, "y" * 75, "z" * 74])
def test_folding_keeps_lines_within_75_octets_and_characters_whole(text):
    line = "DESCRIPTION:" + text
    folded = fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join(p.removeprefix(" ") if i else p for i, p in enumerate(physical)) == line


def test_agenda_becomes_plain_text():
    text = plain_text("# Dag 1\n\n**Velkommen** til *samling*\n\n1. Lytte\n2. Spørre\n\nSlutt")
    assert text == "Dag 1\n\nVelkommen til samling\n\n1. Lytte\n2. Spørre\n\nSlutt"


def test_the_event_reads_back_with_times_in_utc_across_a_dst_change(seminar):
    event = event_of(seminar_ics(seminar, now=NOW))
    assert event["DTSTART"] == "20260328T080000Z"  # 09:00 winter time, UTC+1
    assert event["DTEND"] == "20260329T140000Z"  # 16:00 summer time, UTC+2
    assert event["DTSTAMP"] == "20260311T110000Z"
    assert unescape(event["SUMMARY"]) == "Vårsamling; dag 1, dag 2"
    assert event["SUMMARY"] == "Vårsamling\\; dag 1\\, dag 2"
    assert unescape(event["LOCATION"]) == "Kulturhuset, sal 2"
    description = unescape(event["DESCRIPTION"])
    assert description.startswith("Dag 1\n\n09:00 Velkommen; kaffe\n\n- Lytting\n- Samtaler, del 2")
    assert "**" not in description and "#" not in description


def test_the_uid_stays_the_same_for_a_seminar_and_differs_between_seminars(seminar, program):
    first = event_of(seminar_ics(seminar, now=NOW))
    again = event_of(seminar_ics(seminar, now=NOW + dt.timedelta(days=3)))
    assert first["UID"] == again["UID"] and first["DTSTAMP"] != again["DTSTAMP"]
    other = Seminar.objects.create(program=program, title="x", starts_at=NOW, ends_at=NOW)
    assert event_of(seminar_ics(other, now=NOW))["UID"] != first["UID"]
    assert "LOCATION" not in event_of(seminar_ics(other, now=NOW))


# Who may download it --------------------------------------------------------------------------


def url(seminar) -> str:
    return f"/o/fjordvik/lead/seminars/{seminar.pk}.ics"


@pytest.mark.parametrize("who", ["ann", "facilitator", "admin_user"])
def test_the_programs_participants_and_staff_download_it(request, who, seminar):
    response = signed_in(request.getfixturevalue(who)).get(url(seminar))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "private" in response["Cache-Control"]
    assert event_of(response.content.decode())["DTSTART"] == "20260328T080000Z"


def test_others_get_404(outsider, ann, bob, groups, seminar):
    assert signed_in(outsider).get(url(seminar)).status_code == 404
    seminar.groups.set([groups[0]])  # for A only: Bob in B is not invited
    assert signed_in(bob).get(url(seminar)).status_code == 404
    assert signed_in(ann).get(url(seminar)).status_code == 200


def test_strangers_are_sent_to_sign_in(seminar):
    response = Client().get(url(seminar))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_only_get_is_allowed(ann, seminar):
    assert signed_in(ann).post(url(seminar)).status_code == 405


def test_a_left_participant_or_a_draft_program_gets_404(ann, seminar):
    Enrollment.objects.filter(user=ann).update(is_active=False)
    assert signed_in(ann).get(url(seminar)).status_code == 404
    Enrollment.objects.filter(user=ann).update(is_active=True)
    Program.objects.filter(pk=seminar.program_id).update(state="draft")
    assert signed_in(ann).get(url(seminar)).status_code == 404


def test_a_seminar_of_another_program_is_not_reached_through_this_one(ann, outsider, seminar):
    theirs = Seminar.objects.create(
        program=outsider.enrollments.get().program, title="Theirs",
        starts_at=seminar.starts_at, ends_at=seminar.ends_at,
    )  # fmt: skip
    assert signed_in(ann).get(url(theirs)).status_code == 404
    assert signed_in(outsider).get(f"/o/other/lead/seminars/{seminar.pk}.ics").status_code == 404
