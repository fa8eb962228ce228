"""The groups page: list, add, rename, delete, move and split, and who may do it."""

import pytest
from django.test import Client

from pocketmentor.conftest import enroll, make_person, signed_in
from pocketmentor.learning.models import Enrollment
from pocketmentor.orgs.models import Membership
from pocketmentor.people import services as group_services
from pocketmentor.programs.models import Group, Program, Seminar

BASE = "/studio/fjordvik/p/lead/groups/"


@pytest.fixture
def author(facilitator):
    return signed_in(facilitator)


def group_of(user) -> Group | None:
    return Enrollment.objects.get(user=user).group


def add_participants(org, program, departments: list[str]) -> list[Enrollment]:
    enrollments = []
    for n, department in enumerate(departments):
        user = make_person(f"p{n:03d}@fjordvik.example", org=org, role="participant")
        Membership.objects.filter(user=user).update(department=department)
        enrollments.append(enroll(user, program))
    return enrollments


def get_urls(groups):
    return [BASE, f"{BASE}{groups[0].pk}/", f"{BASE}{groups[0].pk}/delete/"]


POST_URLS = ["new/", "move/", "split/"]


# Who may open the pages -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_user", "facilitator"])
def test_admins_and_facilitators_open_every_groups_page(request, who, groups, ann):
    client = signed_in(request.getfixturevalue(who))
    for url in get_urls(groups):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["outsider", "ann"])
def test_participants_and_other_organizations_get_404_and_change_nothing(request, who, groups):
    client = signed_in(request.getfixturevalue(who))
    for url in get_urls(groups) + [BASE + suffix for suffix in POST_URLS]:
        assert client.get(url).status_code in (404, 405), url
        data = {"name": "Hacked", "confirm": "1", "size": "6", "who": "all", "group": ""}
        assert client.post(url, data).status_code in (404, 405), url
    assert sorted(Group.objects.values_list("name", flat=True)) == ["A", "B"]


def test_an_outsiders_own_program_of_the_same_name_is_not_a_way_in(outsider, groups):
    client = signed_in(outsider)
    assert client.get("/studio/other/p/lead/groups/").status_code == 404


def test_strangers_are_sent_to_sign_in(groups):
    for url in get_urls(groups) + [BASE + suffix for suffix in POST_URLS]:
        response = Client().post(url) if url.endswith(tuple(POST_URLS)) else Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_wrong_methods_get_405(author, groups):
    for suffix in POST_URLS:
        assert author.get(BASE + suffix).status_code == 405, suffix
    assert author.post(BASE).status_code == 405
    for url in get_urls(groups):
        assert author.put(url).status_code == 405, url
        assert author.delete(url).status_code == 405, url


# The list -------------------------------------------------------------------------------------


def test_the_page_lists_groups_in_natural_order_with_members_and_departments(author, org, ann, bob):
    Membership.objects.filter(user=ann).update(department="Oppvekst")
    program = Program.objects.get(organization=org)
    for n in (10, 2):
        Group.objects.create(program=program, name=f"Gruppe {n}")
    page = author.get(BASE).content.decode()
    assert page.index(">Gruppe 2 <") < page.index(">Gruppe 10 <")
    assert "Ann" in page and "· Oppvekst" in page and "Bob" in page
    assert "2 deltakere" in page and "4 grupper" in page


def test_names_that_look_like_html_are_shown_as_text(author, program, ann):
    group_services.group_create(program=program, name="<script>alert(1)</script>")
    page = author.get(BASE).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# Adding, renaming, deleting -------------------------------------------------------------------


def test_a_group_is_added_by_hand(author, program, groups):
    response = author.post(f"{BASE}new/", {"name": "  Gruppe Nord "})
    assert response.status_code == 302 and response["Location"] == BASE
    assert program.groups.filter(name="Gruppe Nord").exists()


def test_a_taken_name_is_refused_in_the_users_language_and_kept(author, program, groups):
    response = author.post(f"{BASE}new/", {"name": "a"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Programmet har allerede en gruppe som heter «a». Velg et annet navn." in page
    assert 'value="a"' in page
    assert program.groups.count() == 2


def test_an_empty_name_is_refused(author, program, groups):
    response = author.post(f"{BASE}new/", {"name": "  "})
    assert response.status_code == 400
    assert program.groups.count() == 2


def test_a_group_is_renamed(author, groups):
    url = f"{BASE}{groups[0].pk}/"
    assert 'value="A"' in author.get(url).content.decode()
    response = author.post(url, {"name": "Alfa"})
    assert response.status_code == 302
    groups[0].refresh_from_db()
    assert groups[0].name == "Alfa"


def test_renaming_to_another_groups_name_is_refused(author, groups):
    response = author.post(f"{BASE}{groups[0].pk}/", {"name": "B"})
    assert response.status_code == 400
    groups[0].refresh_from_db()
    assert groups[0].name == "A"


def test_a_group_of_another_program_is_not_found(author, org, groups):
    other = Program.objects.create(organization=org, title="Other", slug="other",
                                   start_date=groups[0].program.start_date)  # fmt: skip
    stranger = Group.objects.create(program=other, name="X")
    assert author.get(f"{BASE}{stranger.pk}/").status_code == 404
    assert author.post(f"{BASE}{stranger.pk}/delete/", {"confirm": "1"}).status_code == 404
    assert Group.objects.filter(pk=stranger.pk).exists()


def test_deleting_a_group_with_members_asks_first(author, ann, groups):
    url = f"{BASE}{groups[0].pk}/delete/"
    asked = author.get(url)
    assert asked.status_code == 200
    assert "1 deltaker er i denne gruppen." in asked.content.decode()
    assert author.post(url).status_code == 200  # no confirmation: asks again
    assert Group.objects.filter(pk=groups[0].pk).exists()
    response = author.post(url, {"confirm": "1"})
    assert response.status_code == 302
    assert not Group.objects.filter(pk=groups[0].pk).exists()
    assert group_of(ann) is None and ann.enrollments.get().is_active


def test_an_empty_group_is_deleted_without_asking(author, groups):
    response = author.post(f"{BASE}{groups[0].pk}/delete/")
    assert response.status_code == 302
    assert not Group.objects.filter(pk=groups[0].pk).exists()


def test_the_only_group_of_a_seminar_is_not_deleted(author, program, groups, ann):
    seminar = Seminar.objects.create(
        program=program, title="Vårsamling", starts_at=program.opens_at(3),
        ends_at=program.opens_at(3),
    )  # fmt: skip
    seminar.groups.set([groups[0]])
    response = author.post(f"{BASE}{groups[0].pk}/delete/", {"confirm": "1"})
    assert response.status_code == 409
    assert "den eneste gruppen som deltar på samlingen «Vårsamling»" in response.content.decode()
    assert Group.objects.filter(pk=groups[0].pk).exists() and group_of(ann) == groups[0]
    seminar.groups.add(groups[1])
    assert author.post(f"{BASE}{groups[0].pk}/delete/", {"confirm": "1"}).status_code == 302
    assert list(seminar.groups.all()) == [groups[1]]


# Moving ---------------------------------------------------------------------------------------


def test_ticked_participants_move_to_another_group_or_out(author, ann, bob, groups):
    ids = [ann.enrollments.get().pk, bob.enrollments.get().pk]
    response = author.post(f"{BASE}move/", {"enrollment": ids, "group": groups[1].pk})
    assert response.status_code == 302
    assert group_of(ann) == groups[1] and group_of(bob) == groups[1]
    author.post(f"{BASE}move/", {"enrollment": [ids[0]], "group": ""})
    assert group_of(ann) is None and group_of(bob) == groups[1]


def test_moving_nobody_says_what_to_do(author, ann, groups):
    response = author.post(f"{BASE}move/", {"group": groups[1].pk}, follow=True)
    assert "Kryss av deltakerne du vil flytte først" in response.content.decode()
    assert group_of(ann) == groups[0]


def test_odd_ids_are_ignored_or_not_found(author, ann, groups):
    mine = ann.enrollments.get().pk
    odd = ["²", "x", "99999999999999999999", "-1"]
    response = author.post(f"{BASE}move/", {"enrollment": odd + [mine], "group": groups[1].pk})
    assert response.status_code == 302 and group_of(ann) == groups[1]
    for target in odd:
        response = author.post(f"{BASE}move/", {"enrollment": [mine], "group": target})
        assert response.status_code == 404, target
    assert group_of(ann) == groups[1]


def test_moving_cannot_reach_another_program(author, ann, outsider, groups):
    theirs = outsider.enrollments.get()
    author.post(f"{BASE}move/", {"enrollment": [theirs.pk], "group": groups[0].pk})
    theirs.refresh_from_db()
    assert theirs.group is None
    other_group = Group.objects.create(program=theirs.program, name="Theirs")
    mine = ann.enrollments.get().pk
    response = author.post(f"{BASE}move/", {"enrollment": [mine], "group": other_group.pk})
    assert response.status_code == 404 and group_of(ann) == groups[0]


# Splitting ------------------------------------------------------------------------------------

DEPARTMENTS = ["Oppvekst"] * 8 + ["Helse"] * 7 + ["Teknisk"] * 5


def test_splitting_those_without_a_group_mixes_departments(author, org, program, ann, bob):
    add_participants(org, program, DEPARTMENTS)
    response = author.post(f"{BASE}split/", {"size": "6", "who": "ungrouped"})
    assert response.status_code == 302
    made = list(Group.objects.filter(program=program).exclude(name__in=["A", "B"]))
    # Numbering continues after the two groups there are.
    assert sorted(g.name for g in made) == ["Gruppe 3", "Gruppe 4", "Gruppe 5"]
    for group in made:
        departments = list(
            Membership.objects.filter(user__enrollments__group=group).values_list(
                "department", flat=True
            )
        )
        assert len(departments) in (6, 7)
        assert set(departments) == {"Oppvekst", "Helse", "Teknisk"}
    assert group_of(ann).name == "A" and group_of(bob).name == "B"
    assert not Enrollment.objects.filter(program=program, group=None).exists()


def test_splitting_everyone_asks_first_then_reuses_the_groups(author, org, program, ann, bob):
    add_participants(org, program, DEPARTMENTS)
    asked = author.post(f"{BASE}split/", {"size": "8", "who": "all"})
    assert asked.status_code == 200
    assert "2 deltakere har allerede en gruppe." in asked.content.decode()
    assert Group.objects.filter(program=program).count() == 2
    response = author.post(f"{BASE}split/", {"size": "8", "who": "all", "confirm": "1"})
    assert response.status_code == 302
    sizes = {g.name: g.enrollments.count() for g in Group.objects.filter(program=program)}
    assert sizes == {"A": 8, "B": 7, "Gruppe 3": 7}


def test_group_names_follow_the_programs_language(author, org, program):
    Program.objects.filter(pk=program.pk).update(language="en")
    add_participants(org, program, ["X"] * 7)
    author.post(f"{BASE}split/", {"size": "6", "who": "ungrouped"})
    assert list(program.groups.values_list("name", flat=True)) == ["Group 1"]


def test_a_size_outside_six_to_twelve_is_refused(author, org, program):
    add_participants(org, program, ["X"] * 7)
    response = author.post(f"{BASE}split/", {"size": "20", "who": "ungrouped"})
    assert response.status_code == 400
    assert "Velg en gruppestørrelse fra 6 til 12." in response.content.decode()
    assert not program.groups.exists()


def test_splitting_when_everyone_has_a_group_says_how_to_start_over(author, ann, groups):
    response = author.post(f"{BASE}split/", {"size": "6", "who": "ungrouped"}, follow=True)
    assert "Alle har allerede en gruppe." in response.content.decode()
    assert Group.objects.count() == 2


# The services on their own --------------------------------------------------------------------


def test_inactive_participants_are_not_placed(org, program):
    left, *rest = add_participants(org, program, ["X"] * 7)
    Enrollment.objects.filter(pk=left.pk).update(is_active=False)
    made = group_services.groups_split(program=program, size=6, only_ungrouped=True)
    assert len(made) == 1 and made[0].enrollments.count() == 6
    left.refresh_from_db()
    assert left.group is None


def test_departments_typed_differently_count_as_one(org, program):
    add_participants(org, program, ["Oppvekst"] * 6 + [" oppvekst"] * 6 + ["Helse"] * 12)
    made = group_services.groups_split(program=program, size=12, only_ungrouped=True)
    for group in made:
        departments = Membership.objects.filter(user__enrollments__group=group).values_list(
            "department", flat=True
        )
        assert sum(d.strip().lower() == "oppvekst" for d in departments) == 6


def test_a_group_from_another_program_is_refused(org, program, outsider):
    theirs = Group.objects.create(program=outsider.enrollments.get().program, name="T")
    with pytest.raises(ValueError):
        group_services.enrollment_move(program=program, enrollment_ids=[], group=theirs)
