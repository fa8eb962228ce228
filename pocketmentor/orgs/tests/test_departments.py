"""Departments normalised once: the same department typed with other spaces or case is one."""

import importlib

from django.apps import apps

from pocketmentor.conftest import make_person
from pocketmentor.orgs.departments import department_clean, department_key, departments_spelled
from pocketmentor.orgs.models import Membership
from pocketmentor.people.importing import read_people
from pocketmentor.people.services import people_import


def test_spaces_are_trimmed_and_collapsed_and_case_does_not_make_another_department():
    assert department_clean("  Helse \t og  omsorg ") == "Helse og omsorg"
    assert department_key("Helse ") == department_key("helse") == "helse"


def test_a_department_is_spelled_as_the_organization_already_spells_it(org, ann):
    Membership.objects.filter(user=ann).update(department="Helse og omsorg")
    spelled = departments_spelled(
        organization_id=org.pk, names=["helse  og omsorg ", "Teknisk", " teknisk", ""]
    )
    assert spelled == {
        "helse  og omsorg ": "Helse og omsorg",
        "Teknisk": "Teknisk",
        " teknisk": "Teknisk",  # new here: the first spelling that arrives
        "": "",
    }


def test_an_import_writes_one_spelling_for_a_department_typed_three_ways(org, program, ann):
    Membership.objects.filter(user=ann).update(department="Helse")
    lines = [
        "navn;e-post;avdeling",
        "Kari;kari@fjordvik.example;helse",
        "Ola;ola@fjordvik.example;Helse ",
        "Per;per@fjordvik.example; HELSE",
        "Åse;ase@fjordvik.example;teknisk  drift",
    ]
    plan = people_import(program=program, people=read_people("\n".join(lines).encode()))
    assert plan.counts["new"] == 4
    assert sorted(Membership.objects.values_list("department", flat=True).distinct()) == [
        "Helse",
        "teknisk drift",
    ]
    # The same file again changes nothing: "helse" is not a change from "Helse".
    again = people_import(program=program, people=read_people("\n".join(lines).encode()))
    assert again.counts["unchanged"] == 4


def test_the_migration_merges_existing_spellings_into_the_most_common(org, program):
    spellings = ["Helse", "Helse", "helse ", " Helse", "Oppvekst", "oppvekst"]
    for n, department in enumerate(spellings):
        person = make_person(f"p{n}@fjordvik.example", org=org, role="participant")
        Membership.objects.filter(user=person).update(department=department)
    migration = importlib.import_module("pocketmentor.orgs.migrations.0008_departments_normalised")
    migration.normalise(apps, None)
    assert sorted(Membership.objects.values_list("department", flat=True)) == [
        *["Helse"] * 4,
        *["Oppvekst"] * 2,  # a tie: capitals sort first
    ]
