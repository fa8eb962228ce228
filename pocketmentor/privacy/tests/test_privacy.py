"""A person's own data: the export holds everything of theirs and nothing of anyone else's;
erasure removes what identifies them and keeps the anonymous counts."""

import json

import pytest
from django.core import mail
from django.test import Client
from sesame.utils import get_query_string

from pocketmentor.accounts.models import Session, User
from pocketmentor.conftest import answer, enroll, make_person, make_program, signed_in, week_url
from pocketmentor.learning.models import Enrollment, Feedback, Reaction, Response, Supporter
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.privacy.services import person_data, person_erase

SCRIPT = "<script>alert('ann')</script> & more"


def activities(program, week: int) -> dict:
    return {a.kind: a for a in program.units.get(number=week).activities.all()}


@pytest.fixture
def answered(ann, bob, outsider, program):
    """Ann answered all of week 1 and wrote in week 2; Bob and Eve wrote too."""
    mine = ann.enrollments.get()
    Membership.objects.filter(user=ann).update(department="Oppvekst")
    week1, week2 = activities(program, 1), activities(program, 2)
    answer(mine, week1["reflection"], text="I listened more.", audiences=["group"])
    answer(mine, week1["task"], text="Asked Kari.")
    quiz = answer(mine, week1["quiz"])
    quiz.choices.set([week1["quiz"].options.get(text="Ask")])
    answer(mine, week1["poll"], value=4)
    answer(mine, week2["reflection"], text=SCRIPT)
    answer(bob.enrollments.get(), week1["reflection"], text="Bob's own thoughts")
    eve = outsider.enrollments.get()
    answer(eve, activities(eve.program, 1)["reflection"], text="Eve's own thoughts")
    return mine


@pytest.fixture
def shared(ann, bob, facilitator, answered, program):
    """Ann's week 1 reflection got a reply and a reaction; she supports Bob and replied to him."""
    mine = Response.objects.get(enrollment=answered, activity__unit__number=1, activity__position=1)
    Feedback.objects.create(response=mine, author=facilitator, text="Good point, Ann.")
    Reaction.objects.create(response=mine, user=bob, kind="same")
    boss = User.objects.create_user("boss@fjordvik.example", name="Boss")
    Supporter.objects.create(enrollment=answered, user=boss)
    bobs = Response.objects.get(enrollment__user=bob)
    Supporter.objects.create(enrollment=bobs.enrollment, user=ann)
    Feedback.objects.create(response=bobs, author=ann, text="Well done, Bob.")
    Reaction.objects.create(response=bobs, user=ann, kind="thanks")
    return mine


# The export ------------------------------------------------------------------------------


def test_export_holds_the_person_and_everything_they_did(ann, answered, program):
    data = person_data(user=ann)
    assert data["format"] == "pocketmentor-person-data"
    assert data["organization"] is None
    person = data["person"]
    assert (person["email"], person["name"], person["language"]) == (
        "ann@fjordvik.example",
        "Ann",
        "",
    )
    assert person["date_joined"] is not None
    assert data["memberships"] == [
        {
            "organization": {"name": "Fjordvik kommune", "slug": "fjordvik"},
            "role": "participant",
            "department": "Oppvekst",
        }
    ]
    [enrollment] = data["enrollments"]
    assert enrollment["program"] == {"title": "Leading", "slug": "lead", "time_zone": "Europe/Oslo"}
    assert enrollment["group"] == "A"
    assert enrollment["is_active"] is True
    responses = data["responses"]
    assert [(r["unit"]["number"], r["activity"]["kind"]) for r in responses] == [
        (1, "reflection"),
        (1, "task"),
        (1, "quiz"),
        (1, "poll"),
        (2, "reflection"),
    ]
    first = responses[0]
    assert first["text"] == "I listened more."
    assert first["audiences"] == ["group"]
    assert first["activity"]["prompt"] == "What did you notice?"
    assert first["unit"]["title"] == "Week 1 challenge"
    assert first["created_at"] and first["updated_at"]
    assert responses[2]["choices"] == ["Ask"]
    assert responses[3]["value"] == 4
    assert responses[4]["text"] == SCRIPT


def test_export_holds_replies_supporters_and_reactions(ann, shared):
    data = person_data(user=ann)
    first = data["responses"][0]
    assert [(f["author"], f["text"]) for f in first["feedback"]] == [("Coach", "Good point, Ann.")]
    assert first["reactions"] == {"same": 1}
    assert [(s["name"], s["email"]) for s in data["supporters"]] == [
        ("Boss", "boss@fjordvik.example")
    ]
    assert [s["participant"] for s in data["supporting"]] == ["Bob"]
    assert [(f["unit"]["number"], f["text"]) for f in data["feedback_given"]] == [
        (1, "Well done, Bob.")
    ]
    assert [r["kind"] for r in data["reactions_given"]] == ["thanks"]
    assert "Bob's own thoughts" not in json.dumps(data, default=str)  # his text stays his
    page = signed_in(ann).get("/me/data/export.html").content.decode()
    assert "Good point, Ann." in page and "Well done, Bob." in page and "Boss" in page


def test_export_never_holds_anyone_elses_data(ann, answered):
    text = json.dumps(person_data(user=ann), default=str)
    assert "Bob" not in text and "bob@" not in text
    assert "Eve" not in text and "Other AS" not in text
    assert "Asked Kari." in text


def test_export_covers_every_organization_and_one_on_request(ann, answered, outsider):
    other = Organization.objects.get(slug="other")
    Membership.objects.create(organization=other, user=ann, role="participant")
    elsewhere = enroll(ann, other.programs.get())
    answer(elsewhere, activities(elsewhere.program, 1)["task"], text="Done at Other AS")

    everything = json.dumps(person_data(user=ann), default=str)
    assert "Done at Other AS" in everything and "I listened more." in everything

    fjordvik = person_data(user=ann, organization=Organization.objects.get(slug="fjordvik"))
    text = json.dumps(fjordvik, default=str)
    assert fjordvik["organization"] == {"name": "Fjordvik kommune", "slug": "fjordvik"}
    assert "Other AS" not in text and "Done at Other AS" not in text
    assert len(fjordvik["memberships"]) == len(fjordvik["enrollments"]) == 1


QUERIES = 12  # one a section; responses four: choices, reactions and replies prefetched


def test_person_data_runs_a_fixed_number_of_queries(
    ann, bob, facilitator, shared, org, program, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES):
        person_data(user=ann)
    second = make_program(org, slug="second", weeks=6)
    more, his = enroll(ann, second), enroll(bob, second)
    for unit in second.units.all():
        for activity in unit.activities.all():
            response = answer(more, activity, text="more", value=2)
            response.choices.set(activity.options.all())
            Feedback.objects.create(response=response, author=facilitator, text="Yes")
            Reaction.objects.create(response=response, user=bob, kind="idea")
            theirs = answer(his, activity, text="his")
            Feedback.objects.create(response=theirs, author=ann, text="Mine")
            Reaction.objects.create(response=theirs, user=ann, kind="idea")
    Supporter.objects.create(enrollment=his, user=ann)
    with django_assert_num_queries(QUERIES):
        data = person_data(user=ann)
    assert len(data["responses"]) == 5 + 6 * 4
    assert len(data["feedback_given"]) == len(data["reactions_given"]) == 1 + 6 * 4


def test_json_download(ann, answered):
    response = signed_in(ann).get("/me/data/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert set(data) >= {"person", "memberships", "enrollments", "responses", "exported_at"}
    assert data["responses"][0]["created_at"].startswith("2026-03-")
    assert data["responses"][4]["text"] == SCRIPT


def test_html_export_is_readable_in_the_persons_language_and_escaped(ann, answered):
    response = signed_in(ann).get("/me/data/export.html")
    assert response.status_code == 200
    assert response["Content-Language"] == "nb"
    page = response.content.decode()
    assert '<html lang="nb">' in page
    assert "Uke 1: Week 1 challenge" in page and "Uke 2: Week 1 challenge" not in page
    assert page.index("Uke 1:") < page.index("Uke 2:")
    assert "Leading · Fjordvik kommune" in page
    assert "&lt;script&gt;alert(&#x27;ann&#x27;)&lt;/script&gt; &amp; more" in page
    assert "<script>" not in page
    assert "Bob&#x27;s own thoughts" not in page
    assert "I listened more." in page and "Ask" in page


def test_html_export_speaks_english_to_those_who_chose_it(bob):
    page = signed_in(bob).get("/me/data/export.html").content.decode()
    assert '<html lang="en">' in page and "Your data in Pocketmentor" in page


def test_overview_shows_what_is_stored_and_both_actions(ann, answered):
    response = signed_in(ann).get("/me/data/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "ann@fjordvik.example" in page
    assert '<dd id="answers">5</dd>' in page and '<dd id="written">3</dd>' in page
    assert 'href="/me/data/export.json"' in page and 'href="/me/data/erase/"' in page
    assert "Asked Kari." not in page  # counts only


def test_progress_page_links_to_the_persons_data(ann, program):
    page = signed_in(ann).get(week_url(program, "progress/")).content.decode()
    assert 'href="/me/data/"' in page and "Dine data" in page


@pytest.mark.parametrize("path", ["/me/data/", "/me/data/erase/"])
def test_a_participants_data_pages_keep_their_organizations_header(ann, program, path):
    Organization.objects.filter(pk=program.organization_id).update(primary_color="#7a1f5c")
    page = signed_in(ann).get(path).content.decode()
    assert '<span class="brand">Fjordvik kommune</span>' in page
    assert "7a1f5c" in page  # the organization's colours
    assert f'href="{week_url(program)}"' in page  # the participant's menu: this week, …
    assert 'href="/me/data/"' in page and "Dine data" in page  # and in the footer


def test_staff_who_take_no_part_see_their_data_on_the_plain_page(admin_user, program):
    page = signed_in(admin_user).get("/me/data/").content.decode()
    assert '<span class="brand">Pocketmentor</span>' in page
    assert week_url(program) not in page


def test_the_data_pages_show_no_other_organizations_header(ann, outsider):
    page = signed_in(outsider).get("/me/data/").content.decode()
    assert '<span class="brand">Other AS</span>' in page and "Fjordvik" not in page


@pytest.mark.parametrize("path", ["/me/data/", "/me/data/export.json", "/me/data/erase/"])
def test_data_pages_send_strangers_to_sign_in(path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/new/")


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/me/data/"), ("post", "/me/data/export.json"), ("put", "/me/data/erase/")],
)
def test_data_pages_refuse_other_methods(ann, method, path):
    assert getattr(signed_in(ann), method)(path).status_code == 405


def test_unknown_export_format_is_404(ann):
    assert signed_in(ann).get("/me/data/export.xml").status_code == 404


# Erasure ---------------------------------------------------------------------------------


def snapshot(program) -> list[tuple]:
    """What the weekly figures read: who answered what and when, anonymously."""
    rows = Response.objects.filter(activity__unit__program=program).prefetch_related("choices")
    return sorted(
        (r.enrollment_id, r.activity_id, r.value, r.created_at, [c.pk for c in r.choices.all()])
        for r in rows
    )


def test_erase_confirmation_says_what_happens(ann):
    page = signed_in(ann).get("/me/data/erase/").content.decode()
    assert "Slette dataene dine?" in page
    assert "kan ikke angres" in page
    assert 'action="/me/data/erase/"' in page


def test_erasing_removes_what_identifies_the_person_and_keeps_the_counts(
    ann, bob, answered, program
):
    before = snapshot(program)
    client, phone = signed_in(ann), signed_in(ann)
    bobs = signed_in(bob)

    response = client.post("/me/data/erase/")

    assert response.status_code == 200
    assert "Dataene dine er slettet" in response.content.decode()
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    ann.refresh_from_db()
    assert ann.email == f"erased-{ann.pk}@invalid"
    assert ann.name == "Slettet deltaker"
    assert not ann.is_active and not ann.has_usable_password()
    assert ann.language == "" and ann.last_login is None
    mine = Response.objects.filter(enrollment__user=ann)
    assert mine.count() == 5
    assert [(r.text, r.audiences) for r in mine] == [("", [])] * len(mine)
    assert snapshot(program) == before
    assert not Enrollment.objects.get(user=ann).is_active
    assert Membership.objects.get(user=ann).department == ""
    # Signed out everywhere; Bob is untouched.
    sessions = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(ann.pk) not in sessions and str(bob.pk) in sessions
    assert phone.get("/me/data/").status_code == 302
    assert client.get(week_url(program)).status_code == 302
    assert bobs.get("/me/data/").status_code == 200
    assert Response.objects.get(enrollment__user=bob).text == "Bob's own thoughts"


def test_erasing_deletes_replies_and_supporters_and_keeps_reactions(ann, bob, shared):
    person_erase(user=ann)
    assert not Feedback.objects.exists()  # to her writing, and hers to Bob's
    assert not Supporter.objects.filter(enrollment__user=ann).exists()
    assert not Supporter.objects.filter(user=ann).exists()
    assert Reaction.objects.count() == 2  # anonymous signs, counted like answers
    assert User.objects.filter(email="boss@fjordvik.example", is_active=True).exists()


def test_an_erased_person_cannot_sign_in(ann, answered, program):
    link = "/login/" + get_query_string(ann)  # asked for before the erasure
    person_erase(user=ann)
    assert Client().post("/login/", {"t": link.split("t=", 1)[1]}).status_code == 410
    Client().post("/login/new/", {"email": "ann@fjordvik.example"})
    assert mail.outbox == []
    staff = Client().post("/login/staff/", {"username": f"erased-{ann.pk}@invalid", "password": ""})
    assert "_auth_user_id" not in staff.wsgi_request.session


def test_erasing_twice_changes_nothing_more(ann, answered, program):
    client = signed_in(ann)
    client.post("/me/data/erase/")
    ann.refresh_from_db()

    def state():
        return (
            list(Response.objects.filter(enrollment__user=ann).values().order_by("pk")),
            list(Enrollment.objects.filter(user=ann).values()),
            list(Membership.objects.filter(user=ann).values()),
            list(type(ann).objects.filter(pk=ann.pk).values()),
        )

    after_first = state()
    replay = client.post("/me/data/erase/")  # the session is gone: sign in first
    assert replay.status_code == 302
    person_erase(user=ann)
    assert state() == after_first


def test_a_participant_erases_themselves_in_every_organization(ann, answered, outsider):
    other = Organization.objects.get(slug="other")
    Membership.objects.create(organization=other, user=ann, role="participant")
    elsewhere = enroll(ann, other.programs.get())
    answer(elsewhere, activities(elsewhere.program, 1)["task"], text="Done at Other AS")
    signed_in(ann).post("/me/data/erase/")
    assert not Response.objects.filter(enrollment__user=ann).exclude(text="").exists()
    assert not Enrollment.objects.filter(user=ann, is_active=True).exists()


def test_staff_are_told_they_lose_the_studio(org):
    coach = make_person("coach2@partner.example", org=org, role="facilitator")
    page = signed_in(coach).get("/me/data/erase/").content.decode()
    assert "studio" in page


def test_the_export_lists_recalls_of_key_points(ann, program):
    import uuid

    from pocketmentor.learning.services import recall_answer, response_record
    from pocketmentor.privacy.services import person_data
    from pocketmentor.programs.models import RecallQuestion

    unit = program.units.get(number=1)
    point = RecallQuestion.objects.create(unit=unit, position=1, prompt="The point?", answer="A.")
    enrollment = ann.enrollments.get()
    response_record(
        enrollment=enrollment, activity=unit.activities.get(kind="task"), key=uuid.uuid4()
    )
    recall_answer(enrollment=enrollment, question=point, key=uuid.uuid4(), rating=2)
    [recall] = person_data(user=ann)["recalls"]
    assert (recall["question"], recall["repetition"], recall["rating"]) == ("The point?", 1, 2)
    assert recall["remembered"] is False and recall["unit"]["number"] == 1
    page = signed_in(ann).get("/me/data/export.html").content.decode()
    assert "Repetisjonene dine av hovedpoeng" in page and "Med litt strev" in page
