"""Kept participant pages (learning/pages.py): never served after a change they show."""

import datetime as dt
import re
import uuid

import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pocketmentor.conftest import OSLO, enroll, make_person, signed_in, week_url
from pocketmentor.learning import shared, tracking
from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.learning.pages import LONGEST, touch_organization
from pocketmentor.learning.services import feedback_give, reaction_toggle, response_record
from pocketmentor.orgs.models import Organization
from pocketmentor.privacy.services import person_erase

STUDIO = "/studio/fjordvik/p/lead/"


def activity(program, kind: str, week: int = 2):
    return program.units.get(number=week).activities.get(kind=kind)


def page(client: Client, program, suffix: str = "") -> str:
    response = client.get(week_url(program, suffix))
    assert response.status_code == 200
    return response.content.decode()


def record(user, program, kind: str, **answer) -> Response:
    enrollment = Enrollment.objects.get(user=user, program=program)
    response, _ = response_record(
        enrollment=enrollment, activity=activity(program, kind), key=uuid.uuid4(), **answer
    )
    return response


def test_an_answer_given_elsewhere_shows_on_the_next_view(ann, program):
    client = signed_in(ann)
    page(client, program)
    assert "From my other phone" not in page(client, program)  # kept by now
    # As another web process or a replayed answer would: no request of this client.
    record(ann, program, "reflection", text="From my other phone")
    assert "From my other phone" in page(client, program)


def test_a_studio_edit_shows_at_once(ann, facilitator, program):
    client = signed_in(ann)
    page(client, program)
    card = program.units.get(number=2).cards.first()
    signed_in(facilitator).post(
        f"{STUDIO}weeks/2/cards/{card.pk}/", {"kind": "text", "body": "Fresh words"}
    )
    card.refresh_from_db()
    assert card.body == "Fresh words"
    assert "Fresh words" in page(client, program)


def test_feedback_and_reactions_on_a_reflection_show_at_once(ann, bob, facilitator, program):
    client = signed_in(ann)
    mine = record(ann, program, "reflection", text="I listened", audiences=["group"])
    assert 'class="reactions' not in page(client, program)
    feedback_give(response=mine, author=facilitator, text="Well observed")
    assert "Well observed" in page(client, program)
    reaction_toggle(response=mine, user=bob, kind="like")
    assert 'class="reactions' in page(client, program)


def test_this_week_turns_to_the_next_week_when_it_opens(ann, program):
    client = signed_in(ann)
    assert "Week 2 challenge" in page(client, program)
    with time_machine.travel(dt.datetime(2026, 3, 16, 7, 29, tzinfo=OSLO), tick=False):
        assert "Week 2 challenge" in page(client, program)
    with time_machine.travel(dt.datetime(2026, 3, 16, 7, 30, tzinfo=OSLO), tick=False):
        assert "Week 3 challenge" in page(client, program)


def rendered(response) -> list[str]:
    """The templates rendered for a response: none for a kept page but the polls' counts, once
    per shares and language in a process (`pages._poll_results`)."""
    names = [template.name for template in response.templates]
    return [name for name in names if name != "learning/_poll_results.html"]


def test_a_kept_page_shows_the_poll_counts_of_each_minute_without_being_rendered_again(
    ann, bob, program, settings
):
    settings.POLL_MIN_ANSWERS = 1  # shares from the first answer, to follow each one
    client = signed_in(ann)
    record(ann, program, "poll", value=2)
    assert ">100%<" in page(client, program)
    record(bob, program, "poll", value=4)
    kept = client.get(week_url(program))
    assert ">100%<" in kept.content.decode()  # the counts are a minute old at most
    assert rendered(kept) == []
    # A minute after now, not after NOW: the clock ticks, and a busy machine is slow.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        renewed = client.get(week_url(program))
        assert renewed.content.decode().count(">50%<") == 2
        assert rendered(renewed) == []  # still the kept page
        assert client.get(week_url(program)).content.decode().count(">50%<") == 2


def test_a_kept_page_counts_the_persons_own_answer_when_newer_than_the_counts(
    ann, bob, program, settings
):
    settings.POLL_MIN_ANSWERS = 1
    record(bob, program, "poll", value=4)
    assert ">100%<" in page(signed_in(bob), program)  # the counts, Bob's answer alone
    record(ann, program, "poll", value=2)
    client = signed_in(ann)
    mine = re.compile(r'<li class="mine"><span class="bar-label">2 · ditt svar</span>')
    for served in (client.get(week_url(program)), client.get(week_url(program))):
        html = served.content.decode()
        assert html.count(">50%<") == 2 and len(mine.findall(html)) == 1
    assert rendered(served) == []  # the second, kept


def test_a_kept_page_shows_shares_from_the_poll_minimum_once_the_counts_renew(
    ann, bob, org, program, groups, settings
):
    settings.POLL_MIN_ANSWERS = 3
    client = signed_in(ann)
    record(ann, program, "poll", value=2)
    record(bob, program, "poll", value=4)
    waiting = page(client, program)
    assert "Takk! Hvordan alle svarte, vises når 3 personer har svart." in waiting
    assert 'class="bars"' in waiting and "%<" not in waiting
    third = make_person("third@fjordvik.example", org=org, role="participant")
    enroll(third, program, groups[0])
    record(third, program, "poll", value=4)
    assert "%<" not in page(client, program)  # the counts' minute
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        served = client.get(week_url(program))
    html = served.content.decode()
    assert "Takk! Slik svarte alle i programmet:" in html
    assert html.count(">33%<") == 1 and html.count(">67%<") == 1
    assert rendered(served) == []


def test_each_serving_has_its_own_working_token_and_fresh_keys(ann, program):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    first, kept = page(client, program), page(client, program)
    key = re.compile(r'name="a(\d+)-key" value="([0-9a-f-]{36})"')
    assert len(key.findall(kept)) == 4
    assert not set(key.findall(first)) & set(key.findall(kept))
    reflection = activity(program, "reflection")
    given = dict(key.findall(kept))[str(reflection.pk)]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', kept)[1]
    prefix = f"a{reflection.pk}-"
    answered = client.post(
        week_url(program, f"activities/{reflection.pk}/"),
        {"csrfmiddlewaretoken": token, f"{prefix}key": given,
         f"{prefix}text": "Sent from a kept page", f"{prefix}audiences": []},
    )  # fmt: skip
    assert answered.status_code == 302
    assert Response.objects.get(key=given).text == "Sent from a kept page"
    assert "Sent from a kept page" in page(client, program)


def test_each_person_sees_only_their_own_page(ann, bob, outsider, program):
    record(ann, program, "reflection", text="Words of Ann")
    ann_client, bob_client = signed_in(ann), signed_in(bob)
    assert "Words of Ann" in page(ann_client, program)
    assert "Words of Ann" in page(ann_client, program)  # kept
    assert "Words of Ann" not in page(bob_client, program)
    # Someone of another organization, with a program of the same short name, gets nothing.
    assert signed_in(outsider).get(week_url(program)).status_code == 404


def test_a_participant_who_leaves_no_longer_gets_the_kept_page(ann, program):
    client = signed_in(ann)
    page(client, program)
    page(client, program)
    Enrollment.objects.filter(user=ann).update(is_active=False)
    assert client.get(week_url(program)).status_code == 404


def test_the_page_follows_the_persons_language(ann, program):
    client = signed_in(ann)
    assert "Denne uka" in page(client, program)
    client.post("/language/", {"language": "en", "next": week_url(program)})
    assert "This week" in page(client, program)


def test_a_message_waiting_is_shown_once_even_on_a_kept_page(facilitator, program):
    enroll(facilitator, program)
    client = signed_in(facilitator)
    page(client, program)
    card = program.units.get(number=1).cards.first()
    client.post(f"{STUDIO}weeks/1/cards/{card.pk}/", {"kind": "text", "body": "New"})
    assert "Kortet er lagret" in page(client, program)
    assert "Kortet er lagret" not in page(client, program)


def test_a_preview_while_the_author_types_keeps_the_pages_an_edit_does_not(
    facilitator, org, program
):
    author = signed_in(facilitator)
    version = lambda: Organization.objects.get(pk=org.pk).pages_version  # noqa: E731
    before = version()
    preview = author.post("/studio/fjordvik/card-preview/", {"kind": "text", "body": "Typing"})
    assert preview.status_code == 200 and version() == before
    author.post(f"{STUDIO}weeks/1/action/", {"action": "unpublish"})
    assert version() == before + 1


def test_a_card_deleted_in_the_studio_leaves_the_kept_page_at_once_and_undo_brings_it_back(
    ann, facilitator, program
):
    client = signed_in(ann)
    card = program.units.get(number=2).cards.first()
    card.body = "Words to take back"
    card.save()
    assert "Words to take back" in page(client, program)
    assert "Words to take back" in page(client, program)  # kept by now
    studio = signed_in(facilitator)
    url = f"{STUDIO}weeks/2/cards/{card.pk}/action/"
    studio.post(url, {"action": "delete", "confirm": "1"})
    assert "Words to take back" not in page(client, program)
    assert "Words to take back" not in page(client, program, "week/2/")
    studio.post(url, {"action": "undo"})
    assert "Words to take back" in page(client, program)


def test_a_units_content_is_read_once_for_all_participants_and_afresh_after_a_change(
    ann, bob, program
):
    def first_view(user) -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            html = page(signed_in(user), program)
        return html, [q["sql"] for q in queries]

    _, first = first_view(ann)
    _, second = first_view(bob)  # another participant, another group: the same unit
    assert any("programs_card" in sql for sql in first)
    assert not any("programs_card" in sql or "programs_option" in sql for sql in second)
    assert not any("orgs_seminar" in sql for sql in second)
    # the unit, its cards, activities and options, and the program's seminars ahead
    assert len(second) == len(first) - 5
    card = program.units.get(number=2).cards.first()
    card.body = "A card the author just changed"
    card.save()
    touch_organization(slug=program.organization.slug)  # as a studio write does
    assert "A card the author just changed" in page(signed_in(bob), program)


def test_a_kept_page_lives_for_hours_and_a_change_around_the_services_for_longest_at_most(
    ann, program
):
    client = signed_in(ann)
    card = program.units.get(number=2).cards.first()
    card.body = "Words as first written"
    card.save()
    assert "Words as first written" in page(client, program)
    # Written around the services, as by hand in a shell: no version is raised.
    program.units.get(number=2).cards.filter(pk=card.pk).update(body="Changed by hand")
    later = timezone.now() + dt.timedelta(hours=3)
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as kept:
        assert "Changed by hand" not in page(client, program)  # still kept, three hours on
    assert len(kept) == 2  # the session with its person, the versions
    after = timezone.now() + dt.timedelta(seconds=LONGEST + 1)
    with time_machine.travel(after, tick=False), CaptureQueriesContext(connection) as rendered:
        page(client, program)
    # Rendered afresh (the unit's content itself is shared for a minute, which Redis counts
    # on its own clock: the page shows the change once that minute has passed).
    assert len(rendered) > 2
    caches["pages"].clear()  # as a restart does, with what this process holds of it
    shared.forget()
    assert "Changed by hand" in page(client, program)


def test_feedback_of_a_person_erased_leaves_the_kept_page_at_once(ann, facilitator, program):
    client = signed_in(ann)
    mine = record(ann, program, "reflection", text="I listened", audiences=["facilitators"])
    feedback_give(response=mine, author=facilitator, text="Well observed")
    assert "Well observed" in page(client, program)
    assert "Well observed" in page(client, program)  # kept
    person_erase(user=facilitator)
    assert "Well observed" not in page(client, program)


def test_the_marks_of_a_cohorts_first_views_are_all_remembered():
    # A mark forgotten renders the kept page again; Django's local cache holds 300 by default.
    for enrollment_id in range(2_500):
        assert tracking._first_time(tracking.OPENED, enrollment_id, 1)  # as a first view
    assert all(tracking.seen(enrollment_id, 1) for enrollment_id in range(2_500))


def test_a_page_kept_today_is_served_without_asking_for_the_days_mark_and_rendered_next_day(
    ann, program
):
    """A page rendered today recorded its opening then: serving it needs no read of the day's
    mark (one round trip to Redis). The next day's first view renders it and records again."""
    client = signed_in(ann)
    enrollment = Enrollment.objects.get(user=ann, program=program)
    unit = program.units.get(number=2)  # this week's
    late = dt.datetime(2026, 3, 11, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(late, tick=False):
        page(client, program)  # rendered: its opening recorded, the page kept
        caches["default"].delete(tracking._mark(tracking.OPENED, enrollment.pk, unit.pk))
        with CaptureQueriesContext(connection) as kept:
            page(client, program)
        assert len(kept) == 2  # the session with its person, the versions: served as kept
        assert not tracking.seen(enrollment.pk, unit.pk)  # served with the mark still gone
    with time_machine.travel(late + dt.timedelta(hours=1), tick=False):  # the next day
        assert not tracking.seen(enrollment.pk, unit.pk)
        with CaptureQueriesContext(connection) as rendered:
            page(client, program)
        assert len(rendered) > 2
        assert tracking.seen(enrollment.pk, unit.pk)  # that day's opening recorded
        with CaptureQueriesContext(connection) as kept:
            page(client, program)
        assert len(kept) == 2
