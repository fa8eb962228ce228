"""Unit released: at the release time in each person's time zone and language, once."""

import datetime as dt

from pocketmentor.nudges.models import Nudge, Preference
from pocketmentor.nudges.tests.conftest import at, local, parts

UTC = dt.UTC


def test_release_goes_at_the_local_release_time_across_the_dst_change_once(
    ann, bob, program, inbox, worker
):
    with at(local(2026, 3, 23, 7, 29)):
        worker.run_until_idle()
    assert inbox.messages == []
    with at(local(2026, 3, 23, 7, 30, 5)):  # CET: 06:30 UTC
        worker.run_until_idle()
        worker.run_until_idle()
    assert sorted(inbox.count().items()) == [  # each in their own language
        (("ann@fjordvik.example", "Uke 4 er åpen: Week 4 challenge"), 1),
        (("bob@fjordvik.example", "Week 4 is open: Week 4 challenge"), 1),
    ]
    inbox.clear()
    with at(dt.datetime(2026, 3, 30, 5, 29, tzinfo=UTC)):  # 07:29 CEST
        worker.run_until_idle()
    assert inbox.messages == []
    with at(dt.datetime(2026, 3, 30, 5, 30, 5, tzinfo=UTC)):  # 07:30 CEST
        worker.run_until_idle()
    assert sorted(m["To"] for m in inbox.messages) == [
        "ann@fjordvik.example",
        "bob@fjordvik.example",
    ]
    assert {m["Subject"] for m in inbox.messages} == {
        "Uke 5 er åpen: Week 5 challenge",
        "Week 5 is open: Week 5 challenge",
    }


def test_a_person_in_another_time_zone_gets_it_when_their_day_starts(ann, program, inbox, worker):
    Preference.objects.create(person=ann, time_zone="America/New_York")
    with at(local(2026, 3, 23, 7, 30, 5)):  # 02:30 in New York (EDT since 8 March)
        worker.run_until_idle()
    assert inbox.messages == []
    nudge = Nudge.objects.get(person=ann, kind="release")
    assert nudge.next_attempt_at == dt.datetime(2026, 3, 23, 11, 0, tzinfo=UTC)  # 07:00 EDT
    with at(dt.datetime(2026, 3, 23, 11, 0, 5, tzinfo=UTC)):
        worker.run_until_idle()
    [message] = inbox.messages
    assert message["To"] == "ann@fjordvik.example"


def test_the_message_speaks_the_persons_language_in_the_organizations_colours(
    ann, bob, program, inbox, worker
):
    program.organization.primary_color = "#123456"
    program.organization.save()
    with at(local(2026, 3, 23, 7, 31)):
        worker.run_until_idle()
    by_person = {m["To"]: m for m in inbox.messages}
    ann_text, ann_html = parts(by_person["ann@fjordvik.example"])
    bob_text, bob_html = parts(by_person["bob@fjordvik.example"])
    assert '<html lang="nb">' in ann_html and '<html lang="en">' in bob_html
    assert "#123456" in ann_html
    assert "Hello Bob" in bob_text and "/login/?t=" in bob_text
    assert "Hei Ann" in ann_text and "Det tar omtrent fem minutter" in ann_html
