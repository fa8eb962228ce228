"""The facilitators' feed: what groups and facilitators were shared, filters, replies inline."""

import re

import pytest

from pocketmentor.conftest import answer, enroll, make_person, make_program, signed_in
from pocketmentor.learning.models import Feedback
from pocketmentor.learning.selectors import FEED_PAGE_SIZE

FEED = "/studio/fjordvik/p/lead/shared/"


def reflection(program, week):
    return program.units.get(number=week).activities.get(kind="reflection")


def share(user, program, text, audiences, week=1):
    return answer(user.enrollments.get(), reflection(program, week), text=text, audiences=audiences)


def texts(page) -> list[str]:
    return re.findall(r'<p class="quote">([^<]*)</p>', page.content.decode())


@pytest.fixture
def shares(ann, bob, program):
    """Ann (group A) shares with her group and the facilitators in week 1 and 2; Bob (group
    B) with his group in week 1 and privately in week 2."""
    return {
        "ann1": share(ann, program, "Ann week 1", ["group", "facilitators"]),
        "ann2": share(ann, program, "Ann week 2", ["group"], week=2),
        "bob1": share(bob, program, "Bob week 1", ["group"]),
        "bob2": share(bob, program, "Bob private", [], week=2),
    }


def test_the_feed_filters_by_group_week_and_awaiting_feedback(shares, facilitator, program, groups):
    client = signed_in(facilitator)
    assert sorted(texts(client.get(FEED))) == ["Ann week 1", "Ann week 2", "Bob week 1"]
    assert texts(client.get(FEED, {"group": groups[0].pk})) == ["Ann week 2", "Ann week 1"]
    assert sorted(texts(client.get(FEED, {"week": 1}))) == ["Ann week 1", "Bob week 1"]
    Feedback.objects.create(response=shares["ann1"], author=facilitator, text="Seen")
    assert sorted(texts(client.get(FEED, {"awaiting": 1}))) == ["Ann week 2", "Bob week 1"]
    both = client.get(FEED, {"group": groups[1].pk, "week": 1, "awaiting": 1})
    assert texts(both) == ["Bob week 1"]
    assert "selected>B</option>" in both.content.decode()
    # Filters that do not fit the program are ignored, not an error.
    assert len(texts(client.get(FEED, {"group": "999999", "week": "x"}))) == 3


def test_the_pager_keeps_the_filters(facilitator, program, groups):
    for n in range(FEED_PAGE_SIZE + 1):
        mate = make_person(f"m{n}@fjordvik.example", org=program.organization, role="participant")
        answer(enroll(mate, program, groups[0]), reflection(program, 1), text=f"m{n}",
               audiences=["group"])  # fmt: skip
    page = signed_in(facilitator).get(FEED, {"group": groups[0].pk, "awaiting": 1}).content.decode()
    assert f'href="?group={groups[0].pk}&amp;awaiting=1&amp;page=2"' in page
    assert len(re.findall(r'class="card shared"', page)) == FEED_PAGE_SIZE


def test_the_feed_runs_a_fixed_number_of_queries(
    ann, facilitator, program, groups, django_assert_num_queries
):
    share(ann, program, "One", ["facilitators"])
    client = signed_in(facilitator)
    client.get(FEED)  # sessions and caches warm
    # The staff page's session, person and program; the group filter, count, rows, feedback,
    # the groups and weeks of the filter form; the group's reflection themes (none yet).
    with django_assert_num_queries(10) as one:
        client.get(FEED, {"group": groups[0].pk})
    for n in range(12):
        mate = make_person(f"q{n}@fjordvik.example", org=program.organization, role="participant")
        mine = enroll(mate, program, groups[0])
        shared = answer(mine, reflection(program, 1 + n % 2), text="x", audiences=["group"])
        Feedback.objects.create(response=shared, author=facilitator, text="Seen")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(FEED, {"group": groups[0].pk})
    assert len(texts(page)) == 13


def test_a_reply_without_javascript_returns_to_the_same_filtered_place(
    shares, facilitator, ann, groups
):
    client = signed_in(facilitator)
    back = f"group={groups[0].pk}&week=2&awaiting=1&page=1"
    response = client.post(
        f"{FEED}{shares['ann2'].pk}/reply/", {"text": "Godt spørsmål!", "back": back}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{FEED}?{back}#shared-{shares['ann2'].pk}"
    # A group share reaches the writer's feedback like one shared with the facilitators.
    assert Feedback.objects.get().response == shares["ann2"]
    # Anything else in `back` is dropped: only the filters and the page come back.
    evil = client.post(
        f"{FEED}{shares['ann2'].pk}/reply/", {"text": "Again", "back": "next=//evil.example"}
    )
    assert evil["Location"] == f"{FEED}#shared-{shares['ann2'].pk}"


def test_a_reply_with_htmx_comes_back_in_place(shares, facilitator):
    client = signed_in(facilitator)
    url = f"{FEED}{shares['bob1'].pk}/reply/"
    response = client.post(url, {"text": "Fint!", "back": "week=1"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('<article class="card shared" id="shared-')
    assert "Fint!" in page and "Svaret ditt er sendt." in page
    assert 'name="back" value="week=1"' in page
    empty = client.post(url, {"text": " "}, headers={"HX-Request": "true"}).content.decode()
    assert 'role="alert"' in empty and Feedback.objects.count() == 1


def test_no_reply_to_a_private_or_supporters_only_reflection(shares, facilitator, ann, program):
    client = signed_in(facilitator)
    assert client.post(f"{FEED}{shares['bob2'].pk}/reply/", {"text": "Hi"}).status_code == 404
    only = answer(ann.enrollments.get(), program.units.get(number=3).activities.get(
        kind="reflection"), text="For my boss", audiences=["supporters"])  # fmt: skip
    assert client.post(f"{FEED}{only.pk}/reply/", {"text": "Hi"}).status_code == 404
    assert "For my boss" not in client.get(FEED).content.decode()
    assert not Feedback.objects.exists()


def test_another_organizations_staff_never_see_the_feed_nor_reply(shares, program):
    from pocketmentor.orgs.models import Organization

    other = Organization.objects.create(name="Other AS", slug="other", language="en")
    coach = make_person("coach@other.example", org=other, role="facilitator")
    make_program(other, slug="lead")
    client = signed_in(coach)
    assert client.get(FEED).status_code == 404
    assert client.post(f"{FEED}{shares['ann1'].pk}/reply/", {"text": "x"}).status_code == 404
    # Their own program's feed, of the same short name, holds nothing of Fjordvik's.
    own = client.get("/studio/other/p/lead/shared/")
    assert own.status_code == 200 and texts(own) == []
    assert client.post(f"/studio/other/p/lead/shared/{shares['ann1'].pk}/reply/",
                       {"text": "x"}).status_code == 404  # fmt: skip
    assert not Feedback.objects.exists()
