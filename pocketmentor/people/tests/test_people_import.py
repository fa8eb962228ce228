"""Importing people into a program: created once, updated in place, in bulk queries."""

import pytest
from django.utils import timezone, translation

from pocketmentor.accounts.models import User
from pocketmentor.conftest import make_person, make_program
from pocketmentor.learning.models import Enrollment
from pocketmentor.orgs.models import Membership
from pocketmentor.people.importing import people_plan, read_people
from pocketmentor.people.services import membership_deactivate, people_import
from pocketmentor.programs.models import Group


@pytest.fixture(autouse=True)
def _english():
    """Reasons are checked in English here; the pages' tests read them in Norwegian."""
    with translation.override("en"):
        yield


HEADER = "navn;e-post;avdeling;gruppe;språk"
FILE = [
    "Kari Nordmann;kari@fjordvik.example;Oppvekst;Gruppe 1;",
    "Ola Hansen;ola@fjordvik.example;Teknisk;Gruppe 1;en",
    "Åse Berg;ase@fjordvik.example;Teknisk;A;nb",
]


def people_file(lines, header=HEADER):
    return read_people("\n".join([header, *lines]).encode())


def run(program, lines, *, header=HEADER, invite=False):
    return people_import(program=program, people=people_file(lines, header), invite=invite)


def snapshot(program):
    """What the import writes, to compare before and after."""
    return (
        sorted(User.objects.values_list("email", "name", "language", "is_active", "password")),
        sorted(Membership.objects.values_list("user__email", "role", "department", "invited_at")),
        sorted(
            Enrollment.objects.filter(program=program).values_list(
                "user__email", "group__name", "is_active", "enrolled_at"
            )
        ),
        sorted(Group.objects.filter(program=program).values_list("pk", "name")),
    )


def test_a_new_file_creates_people_memberships_enrollments_and_groups(program, groups):
    plan = run(program, FILE)
    assert plan.counts == {"new": 3, "updated": 0, "unchanged": 0, "refused": 0}
    assert plan.new_groups == ["Gruppe 1"]  # "A" is one of the program's groups already
    kari = User.objects.get(email="kari@fjordvik.example")
    assert kari.name == "Kari Nordmann" and kari.language == "" and kari.is_active
    assert not kari.has_usable_password()
    membership = kari.memberships.get()
    assert (membership.organization, membership.role) == (program.organization, "participant")
    assert membership.department == "Oppvekst" and membership.invited_at is None
    assert kari.enrollments.get().group.name == "Gruppe 1"
    assert User.objects.get(email="ola@fjordvik.example").language == "en"
    assert Enrollment.objects.get(user__email="ase@fjordvik.example").group == groups[0]


def test_the_same_file_again_changes_nothing(program, groups):
    run(program, FILE, invite=True)
    before = snapshot(program)
    plan = run(program, FILE, invite=True)
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 3, "refused": 0}
    assert plan.invitations == 0 and not plan.changes_anything
    assert snapshot(program) == before


def test_a_changed_file_updates_people_in_place(program, groups):
    run(program, FILE)
    ids = dict(User.objects.values_list("email", "pk"))
    changed = [
        "Kari Nordmann-Lie;KARI@fjordvik.example;Helse;gruppe 1;en",  # same group, other case
        "Ola Hansen;ola@fjordvik.example;Teknisk;B;",
        FILE[2],
    ]
    plan = run(program, changed)
    assert plan.counts == {"new": 0, "updated": 2, "unchanged": 1, "refused": 0}
    kari, ola = plan.people[0], plan.people[1]
    assert [(c.label, c.old, c.new) for c in kari.changes] == [
        ("name", "Kari Nordmann", "Kari Nordmann-Lie"),
        ("language", "–", "English"),
        ("department", "Oppvekst", "Helse"),
    ]
    assert [(c.label, c.old, c.new) for c in ola.changes] == [("group", "Gruppe 1", "B")]
    assert dict(User.objects.values_list("email", "pk")) == ids  # the same people
    user = User.objects.get(email="kari@fjordvik.example")
    assert (user.name, user.language) == ("Kari Nordmann-Lie", "en")
    assert user.memberships.get().department == "Helse"
    assert Enrollment.objects.get(user__email="ola@fjordvik.example").group.name == "B"
    assert Membership.objects.count() == 3 and Enrollment.objects.count() == 3


def test_an_empty_cell_clears_a_column_left_out_keeps(program):
    run(program, FILE)
    plan = run(program, ["Kari Nordmann;kari@fjordvik.example;;;"])
    assert [(c.label, c.new) for c in plan.people[0].changes] == [
        ("department", "–"),
        ("group", "–"),
    ]
    enrollment = Enrollment.objects.get(user__email="kari@fjordvik.example")
    assert enrollment.group is None and enrollment.user.memberships.get().department == ""
    run(program, FILE)
    plan = run(program, ["Kari Nordmann,kari@fjordvik.example"], header="name,email")
    assert plan.people[0].outcome == "unchanged"
    assert Enrollment.objects.get(user__email="kari@fjordvik.example").group.name == "Gruppe 1"


def test_refused_rows_are_left_out_and_the_rest_imported(program):
    plan = run(program, [FILE[0], "Ingen adresse;;;;", "Feil;feil@;;;", FILE[0]])
    assert [p.outcome for p in plan.people] == ["new", "refused", "refused", "refused"]
    assert User.objects.count() == 1


def test_staff_are_not_turned_into_participants(program, admin_user):
    plan = run(program, ["HR;hr@fjordvik.example;HR;;"])
    [person] = plan.people
    assert person.outcome == "refused"
    assert [str(r) for r in person.reasons] == [
        "hr@fjordvik.example is admin here; the import only adds participants."
    ]
    assert not admin_user.enrollments.exists()


def test_a_person_from_another_organization_joins_and_keeps_their_name(program, outsider):
    plan = run(program, ["Eva Annen;eve@other.example;Oppvekst;;nb"])
    [person] = plan.people
    assert person.outcome == "new" and person.changes == []
    # Read exactly like someone new: nothing tells of the account in another organization.
    [stranger] = run(program, ["Ny Person;ny@nowhere.example;Oppvekst;;nb"]).people
    assert (person.outcome, person.notes, person.changes) == (
        stranger.outcome,
        stranger.notes,
        stranger.changes,
    )
    outsider.refresh_from_db()
    assert outsider.name == "Eve" and outsider.language == ""
    assert outsider.memberships.count() == 2 and outsider.enrollments.count() == 2


def test_a_participant_of_the_organization_joins_another_of_its_programs(org, ann):
    autumn = make_program(org, slug="autumn", weeks=1)
    plan = run(autumn, ["Ann;ann@fjordvik.example;;;"])
    assert plan.people[0].outcome == "new"
    assert ann.enrollments.count() == 2 and ann.memberships.count() == 1


def test_a_deactivated_participant_stays_deactivated(program, ann):
    membership_deactivate(membership=ann.memberships.get())
    plan = run(program, ["Ann;ann@fjordvik.example;Oppvekst;;"], invite=True)
    [person] = plan.people
    assert person.outcome == "updated" and not person.invite
    assert "Deactivated here" in str(person.notes[0])
    ann.refresh_from_db()
    assert not ann.is_active and not ann.enrollments.get().is_active


def test_someone_deactivated_elsewhere_can_sign_in_again_once_they_join(program, outsider):
    membership_deactivate(membership=outsider.memberships.get())
    outsider.refresh_from_db()
    assert not outsider.is_active
    run(program, ["Eve;eve@other.example;;;"])
    outsider.refresh_from_db()
    assert outsider.is_active
    assert not outsider.enrollments.get(program__organization__slug="other").is_active


def test_the_preview_plan_writes_nothing(program):
    plan = people_plan(people_file(FILE), program=program, invite=True)
    assert plan.counts["new"] == 3 and plan.invitations == 3
    assert not User.objects.exists() and not Group.objects.filter(name="Gruppe 1").exists()


def thousand(prefix="Leder", department="Oppvekst"):
    return [
        f"{prefix} {n};leder{n:04d}@fjordvik.example;{department};Gruppe {n % 25};"
        for n in range(1000)
    ]


def test_importing_a_thousand_people_takes_a_fixed_number_of_queries(
    program, django_assert_max_num_queries
):
    # Batches of at most 1,000 rows (fewer on SQLite), never a query per person.
    with django_assert_max_num_queries(40):
        run(program, thousand(), invite=True)
    assert Enrollment.objects.filter(program=program).count() == 1000
    assert program.groups.count() == 25
    with django_assert_max_num_queries(40):
        plan = run(program, thousand(prefix="Leiar", department="Teknisk"))
    assert plan.counts["updated"] == 1000
    assert Membership.objects.filter(department="Teknisk").count() == 1000
    with django_assert_max_num_queries(12):
        plan = run(program, thousand(prefix="Leiar", department="Teknisk"))
    assert plan.counts["unchanged"] == 1000


def test_the_clock_of_a_new_enrollment_is_the_import(program):
    run(program, FILE[:1])
    enrollment = Enrollment.objects.get()
    assert abs((timezone.now() - enrollment.enrolled_at).total_seconds()) < 60


@pytest.mark.parametrize("role", ["facilitator", "admin"])
def test_a_staff_member_elsewhere_keeps_their_name_here_too(program, role, outsider):
    coach = make_person("coach@other.example", org=outsider.memberships.get().organization,
                        role=role)  # fmt: skip
    run(program, ["Someone Else;coach@other.example;;;"])
    coach.refresh_from_db()
    assert coach.name == "Coach"
