"""The seminars pages, and the next seminar on a participant's this-week page."""

import datetime as dt

import pytest
from django.test import Client

from pocketmentor.conftest import OSLO, signed_in, week_url
from pocketmentor.learning import selectors
from pocketmentor.learning.tests.test_queries import BUDGETS, forget
from pocketmentor.people import services as group_services
from pocketmentor.programs.models import Seminar, SeminarUnit

BASE = "/studio/fjordvik/p/lead/seminars/"
UTC = dt.UTC


@pytest.fixture
def author(facilitator):
    return signed_in(facilitator)


@pytest.fixture
def seminar(program):
    return Seminar.objects.create(
        program=program,
        title="Vårsamling",
        starts_at=dt.datetime(2026, 3, 26, 9, 0, tzinfo=OSLO),
        ends_at=dt.datetime(2026, 3, 27, 16, 0, tzinfo=OSLO),
        place="Kulturhuset",
        agenda="**09:00** Velkommen\n\n- Lytting\n- Samtaler",
    )


def form_data(**changes) -> dict:
    data = {
        "title": "Høstsamling",
        "starts_at": "2026-03-27T09:00",  # Friday, before the change to summer time
        "ends_at": "2026-03-30T15:30",  # Monday, after it
        "place": "Fjordvik kulturhus",
        "agenda": "Dag 1: lytting",
    }
    return data | changes


def urls(seminar):
    return [BASE, f"{BASE}new/", f"{BASE}{seminar.pk}/", f"{BASE}{seminar.pk}/delete/"]


# Who may open the pages -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_user", "facilitator"])
def test_admins_and_facilitators_open_every_seminar_page(request, who, seminar):
    client = signed_in(request.getfixturevalue(who))
    for url in urls(seminar):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["outsider", "ann"])
def test_participants_and_other_organizations_get_404_and_change_nothing(request, who, seminar):
    client = signed_in(request.getfixturevalue(who))
    for url in urls(seminar):
        assert client.get(url).status_code == 404, url
        assert client.post(url, form_data()).status_code in (404, 405), url
    assert list(Seminar.objects.values_list("title", flat=True)) == ["Vårsamling"]


def test_strangers_are_sent_to_sign_in(seminar):
    for url in urls(seminar):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_wrong_methods_get_405(author, seminar):
    assert author.post(BASE).status_code == 405
    for url in urls(seminar):
        assert author.put(url).status_code == 405, url
        assert author.delete(url).status_code == 405, url


def test_a_seminar_of_another_program_is_not_found(author, seminar, outsider):
    theirs = Seminar.objects.create(
        program=outsider.enrollments.get().program, title="Theirs",
        starts_at=seminar.starts_at, ends_at=seminar.ends_at,
    )  # fmt: skip
    assert author.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert author.post(f"{BASE}{theirs.pk}/delete/").status_code == 404
    assert Seminar.objects.filter(pk=theirs.pk).exists()


# Writing seminars -----------------------------------------------------------------------------


def test_a_seminar_is_created_in_the_organizations_time_zone(author, program, groups):
    week1, week3 = program.units.get(number=1), program.units.get(number=3)
    response = author.post(
        f"{BASE}new/",
        form_data(groups=[groups[1].pk], prework=[week1.pk], followup=[week3.pk]),
    )
    assert response.status_code == 302 and response["Location"] == BASE
    seminar = Seminar.objects.get(title="Høstsamling")
    # 09:00 in Oslo is 08:00 UTC in winter time, 15:30 is 13:30 UTC in summer time.
    assert seminar.starts_at == dt.datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert seminar.ends_at == dt.datetime(2026, 3, 30, 13, 30, tzinfo=UTC)
    assert seminar.place == "Fjordvik kulturhus" and seminar.agenda == "Dag 1: lytting"
    assert list(seminar.groups.all()) == [groups[1]]
    assert set(seminar.unit_links.values_list("unit__number", "kind")) == {
        (1, SeminarUnit.Kind.PREWORK), (3, SeminarUnit.Kind.FOLLOWUP),
    }  # fmt: skip


def test_with_no_group_ticked_the_seminar_is_for_all_groups(author, program, groups):
    author.post(f"{BASE}new/", form_data())
    seminar = Seminar.objects.get()
    assert not seminar.groups.exists()
    assert "alle grupper" in author.get(BASE).content.decode()


@pytest.mark.parametrize("field", ["groups", "prework", "followup"])
@pytest.mark.parametrize("value", ["9" * 20, "-1", "٣", "1.5", "x"])
def test_a_ticked_value_that_is_no_id_is_refused_with_the_form_kept(author, seminar, field, value):
    for url in (f"{BASE}new/", f"{BASE}{seminar.pk}/"):
        response = author.post(url, form_data(**{field: [value]}))
        assert response.status_code == 400
        page = response.content.decode()
        assert "er ikke en gyldig verdi" in page and 'value="Fjordvik kulturhus"' in page
    assert list(Seminar.objects.values_list("title", flat=True)) == ["Vårsamling"]


def test_the_form_shows_times_on_the_local_clock(author, seminar):
    page = author.get(f"{BASE}{seminar.pk}/").content.decode()
    assert 'value="2026-03-26T09:00"' in page and 'value="2026-03-27T16:00"' in page


def test_a_seminar_is_edited_and_its_weeks_replaced(author, program, groups, seminar):
    SeminarUnit.objects.create(
        seminar=seminar, unit=program.units.get(number=1), kind=SeminarUnit.Kind.PREWORK
    )
    week2 = program.units.get(number=2)
    response = author.post(
        f"{BASE}{seminar.pk}/",
        form_data(title="Vårsamling 2", groups=[groups[0].pk, groups[1].pk], followup=[week2.pk]),
    )
    assert response.status_code == 302
    seminar.refresh_from_db()
    assert seminar.title == "Vårsamling 2"
    assert seminar.groups.count() == 2
    assert list(seminar.unit_links.values_list("unit__number", "kind")) == [(2, "followup")]


def test_an_end_before_the_start_is_refused_and_the_form_kept(author, program):
    response = author.post(f"{BASE}new/", form_data(ends_at="2026-03-26T09:00"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Samlingen må slutte etter at den begynner." in page
    assert 'value="Høstsamling"' in page and "Dag 1: lytting" in page
    assert not Seminar.objects.exists()


def test_missing_title_and_times_are_refused(author, program):
    response = author.post(f"{BASE}new/", form_data(title="", starts_at="", ends_at="tomorrow"))
    assert response.status_code == 400
    assert not Seminar.objects.exists()


def test_a_week_cannot_be_both_prework_and_follow_up(author, program):
    week = program.units.get(number=1).pk
    response = author.post(f"{BASE}new/", form_data(prework=[week], followup=[week]))
    assert response.status_code == 400
    assert "En uke kan være forarbeid eller etterarbeid, ikke begge." in response.content.decode()
    assert not Seminar.objects.exists()


def test_groups_and_weeks_of_another_program_cannot_be_chosen(author, program, outsider):
    theirs = outsider.enrollments.get().program
    response = author.post(f"{BASE}new/", form_data(prework=[theirs.units.first().pk]))
    assert response.status_code == 400
    assert not Seminar.objects.exists()


def test_deleting_asks_first(author, seminar):
    url = f"{BASE}{seminar.pk}/delete/"
    assert "Slette Vårsamling?" in author.get(url).content.decode()
    assert Seminar.objects.exists()
    assert author.post(url).status_code == 302
    assert not Seminar.objects.exists()


def test_the_list_shows_time_place_groups_weeks_and_agenda(author, program, groups, seminar):
    seminar.groups.set([groups[0]])
    SeminarUnit.objects.create(
        seminar=seminar, unit=program.units.get(number=2), kind=SeminarUnit.Kind.FOLLOWUP
    )
    page = author.get(BASE).content.decode()
    assert "26.03.2026 09:00" in page and "16:00" in page and "Kulturhuset" in page
    assert "Grupper som deltar: A" in page
    assert "Etterarbeid" in page and "Uke 2" in page
    assert "<strong>09:00</strong>" in page


def test_script_in_title_and_agenda_is_shown_as_text(author, ann, seminar):
    seminar.title = "<script>alert(1)</script>"
    seminar.agenda = "<script>alert(2)</script> [x](javascript:alert(3)) <img src=x onerror=y>"
    seminar.save()
    for page in (author.get(BASE), signed_in(ann).get(week_url(seminar.program))):
        html = page.content.decode()
        assert "<script>alert" not in html and 'href="javascript' not in html
        assert "<img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# The participant's this-week page -------------------------------------------------------------


def test_the_this_week_page_shows_the_seminar_agenda_and_a_calendar_link(ann, seminar):
    page = signed_in(ann).get(week_url(seminar.program)).content.decode()
    assert "Vårsamling" in page and "Kulturhuset" in page
    assert "<strong>09:00</strong> Velkommen" in page
    assert f'href="/o/fjordvik/lead/seminars/{seminar.pk}.ics">Legg til i kalenderen</a>' in page


def test_a_seminar_for_other_groups_is_not_shown(ann, bob, groups, seminar):
    seminar.groups.set([groups[1]])
    assert "Vårsamling" not in signed_in(ann).get(week_url(seminar.program)).content.decode()


def test_next_seminar_is_the_first_open_to_the_participants_group(program, groups, seminar):
    soon = Seminar.objects.create(
        program=program, title="Bare B", starts_at=seminar.starts_at - dt.timedelta(days=7),
        ends_at=seminar.starts_at - dt.timedelta(days=7),
    )  # fmt: skip
    soon.groups.set([groups[1]])
    a, b = groups
    assert selectors.next_seminar(program=program, group_id=a.pk) == seminar
    assert selectors.next_seminar(program=program, group_id=b.pk) == soon
    assert selectors.next_seminar(program=program) == seminar  # no group: seminars for all
    past = dt.datetime(2026, 3, 10, tzinfo=UTC)
    Seminar.objects.filter(pk=seminar.pk).update(starts_at=past, ends_at=past)
    assert selectors.next_seminar(program=program, group_id=a.pk) is None


def test_the_this_week_page_keeps_its_query_budget_with_seminars(
    ann, program, groups, seminar, django_assert_num_queries
):
    seminar.groups.set(groups)
    later = group_services.seminar_save(
        program=program, title="Later", starts_at=seminar.ends_at, ends_at=seminar.ends_at,
        groups=[groups[1]], prework=[program.units.get(number=3)],
    )  # fmt: skip
    assert later.pk
    client = signed_in(ann)
    client.get(week_url(program))  # as in test_queries: a first view may record it once
    forget()  # and is kept: render it again
    with django_assert_num_queries(BUDGETS[""]):
        assert client.get(week_url(program)).status_code == 200


def test_seminar_save_refuses_groups_and_weeks_of_another_program(program, outsider):
    theirs = outsider.enrollments.get().program
    moment = dt.datetime(2026, 4, 1, 9, tzinfo=OSLO)
    with pytest.raises(ValueError):
        group_services.seminar_save(
            program=program, title="x", starts_at=moment, ends_at=moment,
            prework=[theirs.units.first()],
        )  # fmt: skip
    assert not Seminar.objects.exists()
