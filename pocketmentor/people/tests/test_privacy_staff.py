"""An admin fulfils a person's request for their data or its erasure, for their organization."""

import json

import pytest
from django.test import Client

from pocketmentor.accounts.models import User
from pocketmentor.conftest import answer, enroll, make_person, signed_in
from pocketmentor.learning.models import Enrollment, Response, Supporter
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.privacy.services import OtherOrganizations, person_erase


def data_url(user, suffix: str = "", org: str = "fjordvik") -> str:
    return f"/studio/{org}/people/{user.pk}/data/{suffix}"


@pytest.fixture
def written(ann, bob, program):
    week1 = {a.kind: a for a in program.units.get(number=1).activities.all()}
    answer(ann.enrollments.get(), week1["reflection"], text="Ann's private note")
    answer(ann.enrollments.get(), week1["poll"], value=3)
    answer(bob.enrollments.get(), week1["reflection"], text="Bob's private note")


@pytest.fixture
def in_two(ann, outsider):
    """Ann also takes part in the other organization's program."""
    other = Organization.objects.get(slug="other")
    Membership.objects.create(organization=other, user=ann, role="participant")
    elsewhere = enroll(ann, other.programs.get())
    task = elsewhere.program.units.get(number=1).activities.get(kind="task")
    answer(elsewhere, task, text="Ann at Other AS")
    return other


def test_the_page_offers_both_actions_without_showing_text(admin_user, ann, written):
    response = signed_in(admin_user).get(data_url(ann))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ann@fjordvik.example" in page
    assert data_url(ann, "export.json") in page and data_url(ann, "erase/") in page
    assert "Ann&#x27;s private note" not in page and "Ann's private note" not in page


def test_the_export_on_request_holds_this_organizations_data_only(admin_user, ann, written, in_two):
    response = signed_in(admin_user).get(data_url(ann, "export.json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["organization"]["slug"] == "fjordvik"
    text = response.content.decode()
    assert "Ann's private note" in text  # the person's right of access, through their admin
    assert "Bob" not in text
    assert "Other AS" not in text and "Ann at Other AS" not in text


def test_the_readable_export_is_in_the_persons_language(admin_user, bob, written):
    response = signed_in(admin_user).get(data_url(bob, "export.html"))
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    page = response.content.decode()
    assert "Data held by Fjordvik kommune" in page and "Bob&#x27;s private note" in page


@pytest.mark.parametrize("suffix", ["", "export.json", "export.html", "erase/"])
def test_only_the_organizations_admins_open_the_pages(
    suffix, ann, bob, facilitator, outsider, written
):
    other = Organization.objects.get(slug="other")
    other_admin = make_person("hr@other.example", org=other, role="admin")
    assert signed_in(other_admin).get(data_url(ann, suffix)).status_code == 404
    assert signed_in(facilitator).get(data_url(ann, suffix)).status_code == 404
    assert signed_in(bob).get(data_url(ann, suffix)).status_code == 404
    anonymous = Client().get(data_url(ann, suffix))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/new/")


@pytest.mark.parametrize("suffix", ["", "export.json", "erase/"])
def test_people_of_other_organizations_are_404(admin_user, outsider, suffix):
    assert signed_in(admin_user).get(data_url(outsider, suffix)).status_code == 404


def test_the_other_organizations_admin_cannot_reach_its_own_people_here(admin_user, outsider):
    # the person exists and is a member elsewhere: the URL of this organization still says 404
    assert signed_in(admin_user).get(data_url(outsider, org="other")).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"), [("post", ""), ("post", "export.json"), ("put", "erase/")]
)
def test_wrong_methods_are_405(admin_user, ann, method, suffix):
    assert getattr(signed_in(admin_user), method)(data_url(ann, suffix)).status_code == 405


def test_unknown_format_is_404(admin_user, ann):
    assert signed_in(admin_user).get(data_url(ann, "export.csv")).status_code == 404


def test_erasing_on_request(admin_user, ann, bob, written, program):
    client = signed_in(admin_user)
    confirm = client.get(data_url(ann, "erase/"))
    assert confirm.status_code == 200 and 'class="danger"' in confirm.content.decode()
    participant = signed_in(ann)

    response = client.post(data_url(ann, "erase/"))

    assert response.status_code == 302 and response["Location"] == data_url(ann)
    ann.refresh_from_db()
    assert ann.email == f"erased-{ann.pk}@invalid" and not ann.is_active
    assert Response.objects.filter(enrollment__user=ann).count() == 2
    assert not Response.objects.filter(enrollment__user=ann).exclude(text="").exists()
    assert Response.objects.get(enrollment__user=bob).text == "Bob's private note"
    assert participant.get("/me/data/").status_code == 302
    page = client.get(data_url(ann)).content.decode()
    assert "Personens data er slettet" in page
    assert data_url(ann, "export.json") not in page

    replay = client.post(data_url(ann, "erase/"))
    assert replay.status_code == 302
    ann.refresh_from_db()
    assert ann.email == f"erased-{ann.pk}@invalid"


def test_someone_in_another_organization_is_not_erased_from_here(admin_user, ann, written, in_two):
    client = signed_in(admin_user)
    page = client.get(data_url(ann, "erase/")).content.decode()
    assert "en annen organisasjon" in page
    assert 'class="danger"' not in page
    assert "Other AS" not in page  # which one is not this organization's business

    response = client.post(data_url(ann, "erase/"))

    assert response.status_code == 409
    ann.refresh_from_db()
    assert ann.is_active and ann.email == "ann@fjordvik.example"
    assert Response.objects.filter(enrollment__user=ann).exclude(text="").count() == 2
    assert Enrollment.objects.filter(user=ann, is_active=True).count() == 2
    with pytest.raises(OtherOrganizations):
        person_erase(user=ann, organization=Organization.objects.get(slug="fjordvik"))
    assert ann.is_active


def test_a_facilitator_of_two_organizations_is_not_erased_by_one(admin_user, facilitator):
    other = Organization.objects.create(name="Other AS", slug="other")
    Membership.objects.create(organization=other, user=facilitator, role="facilitator")
    assert signed_in(admin_user).post(data_url(facilitator, "erase/")).status_code == 409
    facilitator.refresh_from_db()
    assert facilitator.is_active


def test_an_admin_does_not_erase_themselves_from_here(admin_user):
    response = signed_in(admin_user).post(data_url(admin_user, "erase/"))
    assert response.status_code == 409
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_supporting_someone_in_another_organization_counts_as_belonging_there(
    admin_user, ann, outsider
):
    Supporter.objects.create(enrollment=outsider.enrollments.get(), user=ann)
    assert signed_in(admin_user).post(data_url(ann, "erase/")).status_code == 409
    ann.refresh_from_db()
    assert ann.is_active


def test_a_supporter_who_is_not_a_member_is_404(admin_user, ann):
    boss = User.objects.create_user("boss@fjordvik.example", name="Boss")
    Supporter.objects.create(enrollment=ann.enrollments.get(), user=boss)
    assert signed_in(admin_user).get(data_url(boss)).status_code == 404
