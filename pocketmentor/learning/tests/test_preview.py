"""The studio's "Preview as participant": a week as participants see it, answering disabled."""

import re

import pytest

from pocketmentor.conftest import make_person, signed_in
from pocketmentor.learning.models import Response
from pocketmentor.programs.models import Unit

PREVIEW = "/studio/fjordvik/p/lead/weeks/{n}/preview/"


@pytest.fixture
def draft(program):
    unit = program.units.get(number=3)
    Unit.objects.filter(pk=unit.pk).update(published_at=None)
    return unit


def test_a_draft_week_previews_as_participants_will_see_it(facilitator, program, draft):
    page = signed_in(facilitator).get(PREVIEW.format(n=3)).content.decode()
    assert "Forhåndsvisning – svar lagres ikke" in page
    assert "Utkast" in page and "Week 3 challenge" in page
    assert page.count('<article class="card') == 2 and "<strong>1</strong>" in page
    assert page.count('<section class="activity') == 4
    assert re.search(r">\s*Ask</label>", page) and re.search(r">\s*Tell</label>", page)
    assert "Rarely" in page and "Always" in page  # the poll's scale
    assert page.count('<fieldset class="sandbox" disabled>') == 4  # nothing can be answered
    assert "data-outbox" not in page and "data-read" not in page
    assert "data-sw=" not in page  # no service worker for a preview
    assert 'class="unit-steps"' in page  # one card at a time on a phone, as participants


def test_answering_from_a_preview_stores_nothing(facilitator, program, draft):
    client = signed_in(facilitator)
    page = client.get(PREVIEW.format(n=3)).content.decode()
    quiz = draft.activities.get(kind="quiz")
    action = re.search(rf'action="([^"]+/activities/{quiz.pk}/)"', page).group(1)
    option = quiz.options.get(is_correct=True)
    response = client.post(action, {f"a{quiz.pk}-choice": option.pk, f"a{quiz.pk}-key": "x"})
    assert response.status_code == 404  # staff who take no part have no answers to give
    assert not Response.objects.exists()


def test_the_preview_speaks_the_authors_language(program, org, draft):
    author = make_person("editor@fjordvik.example", org=org, role="facilitator", language="en")
    page = signed_in(author).get(PREVIEW.format(n=3)).content.decode()
    assert "Preview — answers are not saved" in page and "Back to the week editor" in page


@pytest.mark.parametrize("who", ["outsider", "ann"])
def test_only_the_organizations_authors_may_preview(request, who, program, draft):
    client = signed_in(request.getfixturevalue(who))
    assert client.get(PREVIEW.format(n=3)).status_code == 404
    assert client.get(PREVIEW.format(n=1)).status_code == 404


def test_a_week_that_does_not_exist_has_no_preview(facilitator, program):
    assert signed_in(facilitator).get(PREVIEW.format(n=9)).status_code == 404


def test_the_week_editor_links_to_its_preview(facilitator, program):
    page = signed_in(facilitator).get("/studio/fjordvik/p/lead/weeks/2/").content.decode()
    assert f'href="{PREVIEW.format(n=2)}"' in page and "Forhåndsvis som deltaker" in page
