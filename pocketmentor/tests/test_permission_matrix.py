"""Every URL the project routes, for every role, own and other organization.

Nobody reaches what is not theirs: another organization's people and strangers get 404 or
a sign-in redirect on every page of this organization, participants never reach the studio,
and nothing changes in the database when they try. A new route must be classified here.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from pocketmentor.conftest import NOW, answer, signed_in
from pocketmentor.insights.models import ExportFile
from pocketmentor.learning.models import Response, Supporter
from pocketmentor.people.models import PeopleFileJob
from pocketmentor.programs.models import RecallQuestion, Seminar

# Pages anyone may open: sign-in, the app shell, health, public assets, signed links, and
# /metrics, which answers only a scraper that sends METRICS_TOKEN.
PUBLIC = re.compile(
    r"^/(healthz|readyz|metrics|login/.*|logout/|language/|sw\.js|offline/|icons/.*|media/.*|"
    r"o/[^/]+/manifest\.webmanifest|nudges/(preferences|unsubscribe)/.*|oidc/.*|xapi/.*|"
    r"webauthn/.*|brand/.*)$"
)
PARTICIPANT = re.compile(r"^/o/")
STUDIO = re.compile(r"^/studio/[^/]+/")
PERSONAL = re.compile(r"^/(|me/.*|supporting/.*|studio/|nudges/.*|account/.*)$")
DJANGO_ADMIN = re.compile(r"^/admin/")


def routes(resolver=None, prefix=""):
    """(path template, converters) of every routed URL, in order."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route.lstrip("^").rstrip("$").replace("\\Z", "")


@pytest.fixture
def world(org, program, groups, admin_user, facilitator, ann, bob, outsider):
    """One of each thing a URL can name, all in the organization under test."""
    unit = program.units.get(number=1)
    activity = unit.activities.get(kind="reflection")
    enrollment = ann.enrollments.get()
    response = answer(enrollment, activity, text="Ann's own", audiences=["group"])
    seminar = Seminar.objects.create(
        program=program, title="Spring", starts_at=NOW, ends_at=NOW, place="Hall"
    )
    supporter = Supporter.objects.create(enrollment=enrollment, user=bob)
    question = RecallQuestion.objects.create(
        unit=unit, position=1, prompt="What helps?", answer="Asking."
    )
    upload = PeopleFileJob.objects.create(
        organization=org, program=program, filename="people.csv", digest="0" * 64,
        language="nb", created_at=NOW,
    )  # fmt: skip
    export = ExportFile.objects.create(
        organization=org, program=program, requested_by=admin_user, table="participants",
        language="nb", filename="lead-participants", state=ExportFile.State.READY,
        file="exports/x.xlsx", created_at=NOW,
    )  # fmt: skip
    return {
        "org": org.slug, "program": program.slug, "number": "1", "activity_id": activity.pk,
        "card_id": unit.cards.first().pk, "response_id": response.pk, "size": "192",
        "user_id": ann.pk, "group_id": groups[0].pk, "color": "0b5d6b", "letter": "F",
        "name": "cards/x.jpg", "supporter_id": supporter.pk, "seminar_id": seminar.pk,
        "token": "x", "fmt": "json", "path": "x", "table": "participants",
        "membership_id": ann.memberships.get().pk, "enrollment_id": enrollment.pk, "pk": 1,
        "job_id": upload.pk, "question_id": question.pk, "primary": "0b5d6b", "accent": "f2a541",
        "key": "0" * 32, "kind": "quiz", "export_id": export.pk,
    }  # fmt: skip


def fill(template: str, world: dict) -> str | None:
    """The template with sample values (Django's admin is checked once, at its door)."""
    if template.startswith("/admin/"):
        return "/admin/"

    def value(match):
        name = match.group(2)
        if name not in world:
            raise AssertionError(f"Add a sample value for <{match.group(0)}> in world")
        return str(world[name])

    url = re.sub(r"<(?:(\w+):)?(\w+)>", value, template)
    return url.replace("\\.", ".")


def test_every_route_is_classified(world):
    for template in routes():
        url = fill(template, world)
        assert any(
            rule.match(url) for rule in (PUBLIC, PARTICIPANT, STUDIO, PERSONAL, DJANGO_ADMIN)
        ), f"Classify {template} in test_permission_matrix.py"


@pytest.mark.parametrize("method", ["get", "post"])
def test_other_organizations_and_strangers_never_reach_this_one(world, outsider, method):
    before = Response.objects.count(), Response.objects.filter(text="Ann's own").count()
    checked = 0
    for who, client in (("outsider", signed_in(outsider)), ("stranger", Client())):
        for template in routes():
            url = fill(template, world)
            if not (PARTICIPANT.match(url) or STUDIO.match(url)) or PUBLIC.match(url):
                continue
            status = getattr(client, method)(url).status_code
            allowed = {404, 405} if who == "outsider" else {302, 404, 405}
            assert status in allowed, f"{who} {method.upper()} {url} -> {status}"
            checked += 1
    assert checked > 60  # the walk really covered the participant and studio pages
    assert (Response.objects.count(), Response.objects.filter(text="Ann's own").count()) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_participants_never_reach_the_studio(world, ann, method):
    client = signed_in(ann)
    for template in routes():
        url = fill(template, world)
        if STUDIO.match(url):
            status = getattr(client, method)(url).status_code
            assert status in {403, 404, 405}, f"participant {method.upper()} {url} -> {status}"


def test_django_admin_is_for_superusers_only(world, admin_user, ann):
    for person in (admin_user, ann):
        response = signed_in(person).get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_and_participants_reach_their_own_pages(world, admin_user, facilitator, ann):
    own = {
        "participant": (ann, ["/o/fjordvik/lead/", "/o/fjordvik/lead/week/1/", "/me/data/"]),
        "facilitator": (facilitator, ["/studio/fjordvik/", "/studio/fjordvik/p/lead/"]),
        "admin": (admin_user, ["/studio/fjordvik/", "/studio/fjordvik/p/lead/"]),
    }
    for who, (person, urls) in own.items():
        client = signed_in(person)
        for url in urls:
            assert client.get(url).status_code == 200, f"{who} {url}"
