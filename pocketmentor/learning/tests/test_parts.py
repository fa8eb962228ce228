"""Shared parts of participant pages (learning/pages.py `fragments`): rendered once for
everyone, each person still sees their own order of options, answers, tokens and keys."""

import re
from uuid import uuid4

from django.core.cache import caches
from django.test import Client

from pocketmentor.conftest import enroll, make_person, signed_in, week_url
from pocketmentor.learning import shared
from pocketmentor.learning.forms import RecallForm, ResponseForm
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.pages import touch_organization
from pocketmentor.learning.services import response_record
from pocketmentor.programs.models import Option, RecallQuestion

CHOICE = re.compile(r'name="(?P<name>[ar]\d+-choice)" value="(\d+)" id="id_(?P=name)_(\d+)"')
KEY = re.compile(r'name="([ar]\d+-key)" value="([0-9a-f-]{36})"')


def quiz_of(program, week: int = 2):
    quiz = program.units.get(number=week).activities.get(kind="quiz")
    for position, text in enumerate(["Wait", "Write", "Call"], start=3):
        Option.objects.create(activity=quiz, position=position, text=text)
    return quiz


def page(client: Client, program, suffix: str = "") -> str:
    response = client.get(week_url(program, suffix))
    assert response.status_code == 200
    return response.content.decode()


def options_shown(html: str, name: str) -> list[tuple[int, int]]:
    """(option id, index in the input's id) of field `name`, in the page's order."""
    return [(int(pk), int(i)) for n, pk, i in CHOICE.findall(html) if n == name]


def order_of(form, name: str) -> list[tuple[int, int]]:
    return [(int(pk), i) for i, (pk, _) in enumerate(form.fields["choice"].choices)]


def test_two_participants_sharing_a_part_each_see_their_own_order_of_options(ann, bob, program):
    quiz = quiz_of(program)
    caches["pages"].clear()
    shared.forget()
    seen = {}
    for person in (ann, bob):
        enrollment = Enrollment.objects.get(user=person)
        html = page(signed_in(person), program)
        mine = ResponseForm(activity=quiz, shuffle_for=enrollment.pk)
        seen[person.pk] = options_shown(html, f"a{quiz.pk}-choice")
        assert seen[person.pk] == order_of(mine, f"a{quiz.pk}-choice")
    canonical = [(o.pk, i) for i, o in enumerate(quiz.options.order_by("position"))]
    assert canonical != seen[ann.pk] or canonical != seen[bob.pk]  # the orders are applied


def test_a_recalled_quiz_shows_each_participant_their_own_order(ann, bob, program):
    quiz = quiz_of(program, week=1)
    question = RecallQuestion.objects.create(unit=quiz.unit, position=1, activity=quiz)
    task = quiz.unit.activities.get(kind="task")
    caches["pages"].clear()
    shared.forget()
    for person in (ann, bob):
        enrollment = Enrollment.objects.get(user=person)
        response_record(enrollment=enrollment, activity=task, key=uuid4())  # due from now on
        html = page(signed_in(person), program)
        mine = RecallForm(question=question, shuffle_for=enrollment.pk)
        assert options_shown(html, f"r{question.pk}-choice") == order_of(mine, "")


def test_shared_parts_never_show_another_participants_answers_tokens_or_keys(ann, bob, program):
    caches["pages"].clear()
    shared.forget()
    unit = program.units.get(number=2)
    reflection = unit.activities.get(kind="reflection")
    ann_client, bob_client = signed_in(ann), signed_in(bob)
    bob_before = page(bob_client, program)  # every part rendered and kept by now
    ann_client.post(
        week_url(program, f"activities/{reflection.pk}/"),
        {f"a{reflection.pk}-key": "2f1c7a8e-2b7a-4c1e-9a39-5d0c8f1e2a10",
         f"a{reflection.pk}-text": "Only mine to see"},
    )  # fmt: skip
    ann_page, bob_page = page(ann_client, program), page(bob_client, program)
    assert "Only mine to see" in ann_page
    assert "Only mine to see" not in bob_page
    assert f'id="activity-{reflection.pk}"' in bob_page
    assert 'class="activity done"' in ann_page and 'class="activity done"' not in bob_page
    assert f'data-person="{bob.pk}"' in bob_page and f'data-person="{ann.pk}"' not in bob_page
    ann_keys, bob_keys = set(KEY.findall(ann_page)), set(KEY.findall(bob_page))
    bob_again = set(KEY.findall(bob_before))
    assert len(bob_keys) == 4 and not ann_keys & bob_keys and not bob_keys & bob_again
    assert "\0" not in ann_page + bob_page  # every token and key filled in
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', bob_page)
    assert len(tokens) >= 4 and all(len(t) == 64 for t in tokens)


def test_a_content_change_renders_the_parts_afresh(ann, bob, program):
    page(signed_in(bob), program)
    quiz = program.units.get(number=2).activities.get(kind="quiz")
    quiz.prompt = "Which is the best of them now?"
    quiz.save()
    touch_organization(slug=program.organization.slug)  # as every write in the studio does
    assert "Which is the best of them now?" in page(signed_in(ann), program)


def test_a_participant_in_another_language_gets_parts_in_their_language(ann, bob, org, program):
    assert "Choose one" in page(signed_in(bob), program)  # bob reads English
    norwegian = page(signed_in(ann), program)  # ann the organization's Norwegian
    assert "Velg én" in norwegian and "Choose one" not in norwegian
    other = make_person("cara@fjordvik.example", org=org, role="participant", language="en")
    enroll(other, program)
    assert "Choose one" in page(signed_in(other), program)


def test_the_shared_shell_shows_each_participant_their_own_group_meter_and_person(
    ann, org, program, groups
):
    cara = make_person("cara@fjordvik.example", org=org, role="participant")  # Norwegian too
    enroll(cara, program, groups[1])
    caches["pages"].clear()
    shared.forget()
    task = program.units.get(number=2).activities.get(kind="task")
    response_record(enrollment=Enrollment.objects.get(user=ann), activity=task, key=uuid4())
    ann_page = page(signed_in(ann), program)  # the shell is rendered and kept by now
    cara_page = page(signed_in(cara), program)
    assert f'data-person="{ann.pk}"' in ann_page and f'data-person="{cara.pk}"' in cara_page
    assert "Gruppen din: A" in ann_page and "Gruppen din: B" in cara_page
    assert "Gruppen din: A" not in cara_page
    assert ">1 av 4 aktiviteter fullført<" in ann_page
    assert ">0 av 4 aktiviteter fullført<" in cara_page
    assert "\0" not in ann_page + cara_page
