"""Going live shows what it will do; what hurts asks first; deletions can be undone a while."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from pocketmentor.conftest import NOW, answer, make_person, make_program, signed_in
from pocketmentor.learning.models import Response
from pocketmentor.nudges.models import NudgeRules
from pocketmentor.orgs.models import Organization
from pocketmentor.programs.models import Activity, Card, Option, Program, Unit
from pocketmentor.programs.services import removed_purge

BASE = "/studio/fjordvik/p/lead/"
WEEK = f"{BASE}weeks/1/"


@pytest.fixture
def author(facilitator):
    return signed_in(facilitator)


@pytest.fixture
def draft(program):
    """The program as a draft starting next Monday: week 1 written and published, week 2
    complete but a draft, week 3 a draft without cards or activities."""
    program.state, program.start_date = "draft", dt.date(2026, 3, 16)
    program.save()
    program.units.filter(number__gte=2).update(published_at=None)
    week3 = program.units.get(number=3)
    week3.cards.all().delete()
    week3.activities.all().delete()
    return program


def test_the_going_live_page_lists_each_week_its_date_and_what_it_lacks(author, draft, ann, bob):
    page = author.get(f"{BASE}go-live/").content.decode()
    assert "mandag 16.03.2026 kl. 07:30" in page and "mandag 30.03.2026 kl. 07:30" in page
    assert page.count("Publisert") == 1 and "Klar: blir publisert" in page
    assert "Ikke klar: ingen kort, ingen aktiviteter" in page
    assert "1 uke er ikke klar og forblir et utkast" in page
    assert "2 personer er påmeldt." in page
    assert "2 av dem har ikke fått en invitasjon" in page
    assert "om at uke 1 er åpen, går til disse 2 personene mandag 16.03.2026 kl. 07:30" in page
    assert "Start og publiser 1 uke" in page
    assert Program.objects.get().state == "draft"  # looking changes nothing


def test_going_live_publishes_the_complete_weeks_only_and_only_once(author, draft):
    response = author.post(f"{BASE}go-live/", follow=True)
    assert "Programmet er i gang, og 1 uke er publisert." in response.content.decode()
    units = {unit.number: unit for unit in Unit.objects.filter(program=draft)}
    assert Program.objects.get().state == "live"
    assert units[2].published_at is not None and units[3].published_at is None
    published = units[2].published_at
    with time_machine.travel(NOW + dt.timedelta(minutes=5)):
        again = author.post(f"{BASE}go-live/", follow=True)
    assert "Programmet er allerede i gang" in again.content.decode()
    assert Unit.objects.get(program=draft, number=2).published_at == published


def test_the_first_message_is_the_first_week_still_to_be_told(author, draft, ann):
    draft.start_date = dt.date(2026, 3, 2)  # week 2 opened Monday 9 March, long ago
    draft.save()
    page = author.get(f"{BASE}go-live/").content.decode()
    assert "allerede åpen" in page
    assert "«Uke 2 er åpen», går til denne personen" not in page
    assert "Uke 1 er åpen" not in page  # two days late at most: week 1's moment is gone
    assert "Ingen melding om at en uke er åpen skal sendes" in page  # week 3 is not ready


def test_a_week_opened_yesterday_is_told_as_soon_as_the_program_is_live(author, draft, ann):
    draft.start_date = dt.date(2026, 3, 10)  # week 1 opened Tuesday, within the two days
    draft.save()
    page = author.get(f"{BASE}go-live/").content.decode()
    assert "om at uke 1 er åpen, går til denne personen så snart programmet er i gang" in page


def test_the_going_live_page_says_when_no_one_is_told(author, draft, ann, org):
    NudgeRules.objects.create(organization=org, releases=False)
    page = author.get(f"{BASE}go-live/").content.decode()
    assert "er slått av for dette programmet" in page


def test_back_to_draft_with_people_enrolled_asks_first_and_says_how_many(author, program, ann):
    page = author.get(f"{BASE}state/?state=draft").content.decode()
    assert "1 person er påmeldt og mister tilgangen" in page
    author.post(f"{BASE}state/", {"state": "draft"})  # no confirm: the page again
    assert Program.objects.get().state == "live"
    author.post(f"{BASE}state/", {"state": "draft", "confirm": "1"})
    assert Program.objects.get().state == "draft"


def test_unpublishing_an_open_week_asks_first_with_its_people_and_answers(author, program, ann):
    answer(ann.enrollments.get(), program.units.get(number=1).activities.first(), text="x")
    page = author.get(f"{WEEK}action/?action=unpublish").content.decode()
    assert "Uka er åpen: 1 påmeldt person ser den ikke lenger." in page
    assert "Det 1 svaret blir værende, i tallene og eksportene." in page
    author.post(f"{WEEK}action/", {"action": "unpublish"})
    assert program.units.get(number=1).published_at is not None
    author.post(f"{WEEK}action/", {"action": "unpublish", "confirm": "1"})
    assert program.units.get(number=1).published_at is None


def test_moving_a_published_week_of_a_live_program_asks_first_with_the_new_dates(
    author, program, ann
):
    program_page = author.get(BASE).content.decode()
    assert f'href="{BASE}weeks/2/action/?action=down" data-confirm' in program_page
    page = author.get(f"{BASE}weeks/2/action/?action=down").content.decode()
    assert "Flytte uke 2, Week 2 challenge, ned?" in page
    assert "de to ukene bytter åpningsdato, og 1 påmeldt person ser de nye." in page
    assert (
        "Week 2 challenge blir uke 3 og åpner mandag 16.03.2026 kl. 07:30, "
        "i stedet for mandag 09.03.2026 kl. 07:30." in page
    )
    assert "Den er åpen nå og lukkes igjen fram til den nye datoen." in page  # opens in a week
    assert "Den åpner med en gang." in page  # week 3 becomes week 2, open since Monday
    author.post(f"{BASE}weeks/2/action/", {"action": "down"})  # without confirm: asked only
    assert program.units.get(number=2).title == "Week 2 challenge"
    author.post(f"{BASE}weeks/2/action/", {"action": "down", "confirm": "1"})
    assert list(program.units.values_list("title", flat=True)) == [
        "Week 1 challenge", "Week 3 challenge", "Week 2 challenge",
    ]  # fmt: skip


def test_the_move_question_is_in_english_for_an_english_author(program, facilitator):
    facilitator.language = "en"
    facilitator.save()
    page = signed_in(facilitator).get(f"{BASE}weeks/3/action/?action=up").content.decode()
    assert "Move week 3, Week 3 challenge, up?" in page
    assert "Week 3 challenge becomes week 2 and opens Monday" in page
    assert "Keep the dates" in page


def test_weeks_move_at_once_in_a_draft_and_between_drafts_of_a_live_program(author, program):
    program.units.filter(number__gte=2).update(published_at=None)
    page = author.get(BASE).content.decode()
    assert f'{BASE}weeks/1/action/?action=down" data-confirm' in page  # week 1 is published
    assert f'{BASE}weeks/2/action/?action=up" data-confirm' in page
    assert "weeks/2/action/?action=down" not in page and "weeks/3/action/?action" not in page
    author.post(f"{BASE}weeks/3/action/", {"action": "up"})  # two drafts: moved at once
    assert program.units.get(number=2).title == "Week 3 challenge"
    Program.objects.filter(pk=program.pk).update(state="draft")
    author.post(f"{BASE}weeks/1/action/", {"action": "down"})  # a draft program: at once
    assert program.units.get(number=1).title == "Week 3 challenge"


def test_deleting_a_card_in_a_published_week_asks_then_hides_it_and_undo_restores_it(
    author, program
):
    card = program.units.get(number=1).cards.get(position=1)
    url = f"{WEEK}cards/{card.pk}/action/"
    page = author.get(f"{url}?action=delete").content.decode()
    assert "Slette dette kortet?" in page and "i 10 minutter" in page
    author.post(url, {"action": "delete"})  # without confirm: asked, nothing deleted
    assert Card.objects.filter(pk=card.pk).exists()
    done = author.post(url, {"action": "delete", "confirm": "1"}, follow=True).content.decode()
    assert "Kortet er slettet. Du kan angre på denne siden i 10 minutter." in done
    assert not Card.objects.filter(pk=card.pk).exists()  # off every page at once
    assert "Slettet de siste 10 minuttene" in done and "Angre" in done
    with time_machine.travel(NOW + dt.timedelta(minutes=9)):
        author.post(url, {"action": "undo"})
    restored = Card.objects.get(pk=card.pk)
    assert (restored.position, restored.body, restored.removed_at) == (1, card.body, None)
    author.post(url, {"action": "undo"})  # again: nothing more happens
    assert program.units.get(number=1).cards.count() == 2


def test_undo_ends_after_ten_minutes_and_the_card_is_then_purged(author, program):
    card = program.units.get(number=1).cards.first()
    url = f"{WEEK}cards/{card.pk}/action/"
    author.post(url, {"action": "delete", "confirm": "1"})
    with time_machine.travel(NOW + dt.timedelta(minutes=11)):
        page = author.get(WEEK).content.decode()
        assert "Slettet de siste" not in page
        late = author.post(url, {"action": "undo"}, follow=True).content.decode()
        assert "mer enn 10 minutter siden og kan ikke hentes tilbake" in late
        assert not Card.objects.filter(pk=card.pk).exists()
        assert removed_purge() == 1
    assert not Card.everything.filter(pk=card.pk).exists()
    assert author.post(url, {"action": "undo"}).status_code == 404


def test_an_undone_activity_comes_back_with_its_options_and_answers(author, program, ann):
    quiz = program.units.get(number=1).activities.get(kind="quiz")
    chosen = quiz.options.get(position=1)
    answer(ann.enrollments.get(), quiz).choices.add(chosen)
    url = f"{WEEK}activities/{quiz.pk}/action/"
    page = author.get(f"{url}?action=delete").content.decode()
    assert "1 deltaker har svart på den." in page
    author.post(url, {"action": "delete", "confirm": "1"})
    assert not Activity.objects.live().filter(pk=quiz.pk).exists()
    author.post(url, {"action": "undo"})
    assert Activity.objects.live().get(pk=quiz.pk).position == 3
    assert list(Option.objects.filter(activity=quiz).values_list("pk", flat=True)) == [
        chosen.pk, quiz.options.get(position=2).pk,
    ]  # fmt: skip
    assert list(Response.objects.get().choices.all()) == [chosen]


def test_past_the_window_an_answered_activity_stays_hidden_an_unanswered_one_goes(
    author, program, ann
):
    unit = program.units.get(number=1)
    task, poll = unit.activities.get(kind="task"), unit.activities.get(kind="poll")
    answer(ann.enrollments.get(), task, text="Done")
    for activity in (task, poll):
        author.post(f"{WEEK}activities/{activity.pk}/action/", {"action": "delete", "confirm": "1"})
    with time_machine.travel(NOW + dt.timedelta(minutes=11)):
        assert removed_purge() == 1
    assert not Activity.objects.filter(pk=poll.pk).exists()
    assert Activity.objects.get(pk=task.pk).removed_at is not None
    assert Response.objects.filter(activity=task).exists()


def test_deleting_in_a_draft_week_asks_nothing_and_can_still_be_undone(author, program):
    unit = program.units.get(number=3)
    unit.published_at = None
    unit.save()
    card = unit.cards.first()
    url = f"{BASE}weeks/3/cards/{card.pk}/action/"
    author.post(url, {"action": "delete"})
    assert not Card.objects.filter(pk=card.pk).exists()
    assert "Angre" in author.get(f"{BASE}weeks/3/").content.decode()


def test_another_organizations_staff_get_404(program):
    other = Organization.objects.create(name="Other AS", slug="other")
    stranger = signed_in(make_person("boss@other.example", org=other, role="admin"))
    card = program.units.get(number=1).cards.first()
    card_url = f"{WEEK}cards/{card.pk}/action/"
    for url in (f"{BASE}go-live/", f"{BASE}state/?state=draft", f"{card_url}?action=delete"):
        assert stranger.get(url).status_code == 404
    assert stranger.post(f"{BASE}go-live/").status_code == 404
    assert stranger.post(card_url, {"action": "undo"}).status_code == 404
    # Their own program of the same short name is no door into this one's cards either.
    make_program(other, slug="lead")
    through_own = f"/studio/other/p/lead/weeks/1/cards/{card.pk}/action/"
    assert stranger.post(through_own, {"action": "undo"}).status_code == 404


@pytest.mark.parametrize(
    ("state", "setup", "expected"),
    [
        ("draft", "no weeks", "Skriv uke 1"),
        ("draft", "empty week", "Gjør ferdig uke 1"),
        ("draft", "nobody", "Importer deltakere"),
        ("draft", "people", "Start programmet"),
        ("live", "uninvited", "Inviter dem"),
        ("live", "invited", "Følg engasjementet"),
        ("finished", "invited", "Se engasjementet"),
    ],
)
def test_the_program_page_leads_with_one_next_step(
    admin_user, program, ann, state, setup, expected
):
    program.state = state
    program.save()
    if setup in ("no weeks", "empty week"):
        program.units.all().delete()
        if setup == "empty week":
            Unit.objects.create(program=program, number=1, title="Uke 1")
    if setup == "nobody":
        ann.enrollments.all().delete()
    if setup in ("invited", "people"):
        ann.memberships.update(invited_at=timezone.now())
    page = signed_in(admin_user).get(BASE).content.decode()
    step = page.split('class="next-step"')[1].split("</section>")[0]
    assert expected in step
    assert step.count('class="button"') + step.count("<button") == 1
    assert page.count("Delte refleksjoner") == 1 and page.count(">Meldinger<") == 1


def test_a_live_program_with_a_week_opening_soon_unpublished_says_so(author, program):
    Unit.objects.filter(program=program, number=3).update(published_at=None)
    page = author.get(BASE).content.decode()
    assert "Uke 3 åpner snart og er ikke publisert" in page


def test_going_live_in_english(facilitator, draft, ann, bob):
    facilitator.language = "en"
    facilitator.save()
    page = signed_in(facilitator).get(f"{BASE}go-live/").content.decode()
    assert "Ready: will be published" in page and "Not ready: no cards, no activities" in page
    assert "Go live and publish 1 week" in page
    assert "goes to these 2 people Monday 2026-03-16 at 07:30" in page


def test_a_live_programs_page_says_it_is_live_and_names_the_next_message(author, program, ann):
    """Week 3 of the live program opens Monday 16 March: the next message, not the first."""
    page = author.get(f"{BASE}go-live/").content.decode()
    assert "<h1>Leading er i gang</h1>" in page
    assert "Starte Leading?" not in page
    assert "Neste melding, om at uke 3 er åpen, går til denne personen mandag 16.03.2026" in page
    assert "Den første meldingen" not in page
