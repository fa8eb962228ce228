import re
import uuid

import pytest
from django.core import mail
from django.test import Client

from pocketmentor.conftest import answer, enroll, make_person, signed_in, week_url
from pocketmentor.learning.models import Feedback, Reaction, Response, Supporter


@pytest.fixture
def mate(org, program, groups):
    user = make_person("mate@fjordvik.example", org=org, role="participant")
    enroll(user, program, groups[0])
    return user


def reflection(program, week=2):
    return program.units.get(number=week).activities.get(kind="reflection")


def shared_by(user, program, text, audiences, week=2):
    return answer(user.enrollments.get(), reflection(program, week), text=text, audiences=audiences)


def test_group_page_shows_what_the_group_shared_this_week(ann, mate, bob, program):
    shared_by(mate, program, "Vi øvde på spørsmål", "group")
    shared_by(bob, program, "Other group", "group")
    answer(mate.enrollments.get(), program.units.get(number=2).activities.get(kind="task"),
           text="Private note", audiences=[])  # fmt: skip
    page = signed_in(ann).get(week_url(program, "group/")).content.decode()
    assert "Vi øvde på spørsmål" in page and "Mate" in page
    assert "Other group" not in page and "Private note" not in page


def test_taking_a_reflection_back_hides_it_again(ann, mate, program):
    response = shared_by(mate, program, "Shared for a while", "group")
    response.shared_with_group = False
    response.save()
    assert (
        "Shared for a while" not in signed_in(ann).get(week_url(program, "group/")).content.decode()
    )


def test_names_and_text_are_shown_as_text(ann, mate, program, groups):
    mate.name = "<script>alert('n')</script>"
    mate.save()
    groups[0].name = "<b>A</b>"
    groups[0].save()
    shared_by(mate, program, "<img src=x onerror=alert(1)>", "group")
    page = signed_in(ann).get(week_url(program, "group/")).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>A</b>" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x" in page


def test_peers_react_once_and_can_take_it_back(ann, mate, program):
    response = shared_by(mate, program, "Ours", "group")
    client = signed_in(ann)
    url = week_url(program, f"shared/{response.pk}/react/")
    client.post(url, {"kind": "thanks"})
    client.post(url, {"kind": "idea"})
    assert list(Reaction.objects.values_list("kind", flat=True)) == ["idea"]
    client.post(url, {"kind": "idea"})
    assert not Reaction.objects.exists()


@pytest.mark.parametrize("who", ["bob", "outsider", "mate"])
def test_only_group_peers_react(request, who, mate, bob, program):
    response = shared_by(mate, program, "Ours", "group")
    person = request.getfixturevalue(who)
    own_program = person.enrollments.get().program
    url = week_url(own_program, f"shared/{response.pk}/react/")
    assert signed_in(person).post(url, {"kind": "thanks"}).status_code == 404
    assert not Reaction.objects.exists()


def test_reactions_need_post(ann, mate, program):
    response = shared_by(mate, program, "Ours", "group")
    assert signed_in(ann).get(week_url(program, f"shared/{response.pk}/react/")).status_code == 405


def test_facilitators_see_what_was_shared_with_them_or_a_group_and_reply(ann, facilitator, program):
    shared = shared_by(ann, program, "For the coach", "facilitators")
    shared_by(ann, program, "Just the group", "group", week=1)
    answer(ann.enrollments.get(), program.units.get(number=2).activities.get(kind="task"),
           text="For supporters", audiences=["supporters"])  # fmt: skip
    client = signed_in(facilitator)
    page = client.get("/studio/fjordvik/p/lead/shared/").content.decode()
    assert "For the coach" in page and "Just the group" in page
    assert "For supporters" not in page
    client.post(f"/studio/fjordvik/p/lead/shared/{shared.pk}/reply/", {"text": "Godt observert!"})
    assert Feedback.objects.get().text == "Godt observert!"
    for suffix in ("", "reflections/"):
        assert "Godt observert!" in signed_in(ann).get(week_url(program, suffix)).content.decode()


def test_no_reply_to_what_was_taken_back(ann, facilitator, program):
    shared = shared_by(ann, program, "For the coach", "facilitators")
    shared.shared_with_facilitators = False
    shared.save()
    response = signed_in(facilitator).post(
        f"/studio/fjordvik/p/lead/shared/{shared.pk}/reply/", {"text": "Hi"}
    )
    assert response.status_code == 404 and not Feedback.objects.exists()


@pytest.mark.parametrize("who", ["ann", "outsider"])
def test_the_facilitator_feed_is_for_the_organizations_staff(request, who, program):
    assert (
        signed_in(request.getfixturevalue(who)).get("/studio/fjordvik/p/lead/shared/").status_code
        == 404
    )


def test_a_supporter_is_invited_sees_what_is_shared_with_supporters_and_replies(
    ann, program, django_capture_on_commit_callbacks
):
    client = signed_in(ann)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            week_url(program, "supporters/"), {"name": "Sjefen", "email": "Boss@Fjordvik.example"}
        )
    [message] = mail.outbox
    assert message.to == ["boss@fjordvik.example"]
    shared_by(ann, program, "For my manager", "supporters")
    shared_by(ann, program, "Mine only", "private", week=1)
    token = re.search(r"/login/\?t=([\w-]+)", message.body)[1]
    boss = Client()
    boss.post("/login/", {"t": token})
    assert boss.get("/")["Location"] == "/supporting/"
    page = boss.get("/supporting/").content.decode()
    assert "For my manager" in page and "Mine only" not in page
    shared = ann.enrollments.get().responses.get(text="For my manager")
    boss.post(f"/supporting/{shared.pk}/reply/", {"text": "Bra jobba"})
    assert Feedback.objects.get().author.email == "boss@fjordvik.example"
    private = ann.enrollments.get().responses.get(text="Mine only")
    assert boss.post(f"/supporting/{private.pk}/reply/", {"text": "x"}).status_code == 404


@pytest.mark.parametrize("name", ["Evil\r\nBcc: eve@other.example", "Evil\x1b[2J", "A\u2028B"])
def test_a_supporter_name_with_a_line_break_or_control_character_is_refused(ann, program, name):
    client = signed_in(ann)
    response = client.post(week_url(program, "supporters/"), {"name": name, "email": "s@x.no"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Linjeskift og kontrolltegn kan ikke brukes her." in page
    assert 'value="s@x.no"' in page  # what was typed is kept
    assert Supporter.objects.count() == 0 and mail.outbox == []


def test_at_most_two_supporters(ann, program):
    client = signed_in(ann)
    for n in range(3):
        response = client.post(week_url(program, "supporters/"), {"email": f"s{n}@x.no"})
    assert response.status_code == 400
    assert (
        "Du har allerede 2 støttespillere. Fjern én for å invitere en ny."
        in response.content.decode()
    )
    assert Supporter.objects.count() == 2


def test_a_removed_supporter_no_longer_sees_anything(ann, program):
    client = signed_in(ann)
    client.post(week_url(program, "supporters/"), {"email": "s@x.no"})
    supporter = Supporter.objects.get()
    shared_by(ann, program, "For supporters", "supporters")
    client.post(week_url(program, f"supporters/{supporter.pk}/remove/"))
    assert "For supporters" not in signed_in(supporter.user).get("/supporting/").content.decode()


def test_inviting_an_address_with_an_account_elsewhere_reveals_nothing_of_it(
    ann, bob, outsider, program
):
    client = signed_in(ann)
    pages = {}
    for email in ("eve@other.example", "new@nowhere.example"):
        response = client.post(week_url(program, "supporters/"), {"name": "Typed", "email": email})
        assert response.status_code == 302
        pages[email] = client.get(week_url(program, "supporters/")).content.decode()
    assert "Eve" not in pages["eve@other.example"]  # the account's own name is never shown
    assert "eve@other.example" in pages["eve@other.example"]
    assert Supporter.objects.filter(enrollment__user=ann).count() == 2


def test_supporter_invitations_are_rate_limited(ann, program, settings):
    client = signed_in(ann)
    statuses = []
    for n in range(11):
        client.post(week_url(program, "supporters/"), {"email": f"s{n}@x.no"})
        supporter = Supporter.objects.filter(enrollment__user=ann).first()
        if supporter:  # remove again, so the limit of two is not what stops it
            client.post(week_url(program, f"supporters/{supporter.pk}/remove/"))
        statuses.append(
            client.post(week_url(program, "supporters/"), {"email": "x@x.no"}).status_code
            if n == 10
            else 0
        )
    assert statuses[-1] == 429
    assert not Supporter.objects.filter(user__email="x@x.no").exists()


def post(client, program, activity, **fields):
    data = {f"a{activity.pk}-{name}": value for name, value in fields.items()}
    data.setdefault(f"a{activity.pk}-key", str(uuid.uuid4()))
    return client.post(week_url(program, f"activities/{activity.pk}/"), data)


def test_a_reflection_goes_to_several_audiences_and_back_to_one(ann, program):
    client, activity = signed_in(ann), reflection(program, 1)
    post(client, program, activity, text="To both", audiences=["group", "facilitators"])
    stored = Response.objects.get()
    assert stored.audiences == ["group", "facilitators"]
    page = client.get(week_url(program, "reflections/")).content.decode()
    assert "Delt med: Gruppen min, Tilretteleggerne" in page
    boxes = re.findall(r'<input type="checkbox" name="a\d+-audiences" value="(\w+)"[^>]*>', page)
    checked = re.findall(r'name="a\d+-audiences" value="(\w+)"[^>]* checked', page)
    assert boxes == ["group", "supporters", "facilitators"]
    assert checked == ["group", "facilitators"]
    post(client, program, activity, text="To both", version=stored.version, audiences="supporters")
    stored.refresh_from_db()
    assert stored.audiences == ["supporters"]
    post(client, program, activity, text="To both", version=stored.version)  # nothing ticked
    stored.refresh_from_db()
    assert stored.audiences == []


def test_an_answer_queued_with_one_visibility_is_shared_with_that_audience(ann, program):
    """A phone's outbox may hold an answer from a page with one choice; it keeps its meaning."""
    post(signed_in(ann), program, reflection(program, 1), text="Old page", visibility="group")
    assert Response.objects.get().audiences == ["group"]


def test_a_group_share_is_seen_by_the_group_and_the_facilitators_only(
    ann, mate, bob, outsider, facilitator, program
):
    shared_by(ann, program, "Group and coach", ["group", "facilitators"])
    assert "Group and coach" in signed_in(mate).get(week_url(program, "group/")).content.decode()
    bobs = signed_in(bob).get(week_url(program, "group/")).content.decode()
    assert "Group and coach" not in bobs  # another group
    feed = signed_in(facilitator).get("/studio/fjordvik/p/lead/shared/").content.decode()
    assert "Group and coach" in feed and "Gruppen sin, Tilretteleggerne" in feed
    assert signed_in(outsider).get("/studio/fjordvik/p/lead/shared/").status_code == 404
