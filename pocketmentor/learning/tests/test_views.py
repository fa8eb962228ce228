import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pocketmentor.conftest import answer, enroll, make_person, signed_in, week_url
from pocketmentor.learning.models import Response
from pocketmentor.programs.models import Option


@pytest.fixture
def client_ann(ann):
    return signed_in(ann)


def activity(program, kind, week=2):
    return program.units.get(number=week).activities.get(kind=kind)


def post_answer(client, program, activity_, next_page=None, **fields):
    data = {f"a{activity_.pk}-{name}": value for name, value in fields.items()}
    if next_page:
        data["next"] = next_page
    data.setdefault(f"a{activity_.pk}-key", str(uuid.uuid4()))
    return client.post(week_url(program, f"activities/{activity_.pk}/"), data)


# The participant's pages: happy path, anonymous, outsider, wrong method.

PAGES = ["", "week/1/", "week/2/", "progress/", "reflections/"]


@pytest.mark.parametrize("suffix", PAGES)
def test_participant_pages_open_for_the_participant(client_ann, program, suffix):
    response = client_ann.get(week_url(program, suffix))
    assert response.status_code == 200
    assert response["Content-Language"] == "nb"


@pytest.mark.parametrize("suffix", PAGES)
def test_participant_pages_send_strangers_to_sign_in(program, suffix):
    response = Client().get(week_url(program, suffix))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/new/")


@pytest.mark.parametrize("suffix", PAGES)
def test_another_organizations_participant_gets_404(outsider, program, suffix):
    assert signed_in(outsider).get(week_url(program, suffix)).status_code == 404


@pytest.mark.parametrize("suffix", PAGES)
def test_staff_who_are_not_enrolled_get_404(facilitator, program, suffix):
    assert signed_in(facilitator).get(week_url(program, suffix)).status_code == 404


@pytest.mark.parametrize("suffix", PAGES)
def test_participant_pages_refuse_post(client_ann, program, suffix):
    assert client_ann.post(week_url(program, suffix)).status_code == 405


def test_outsider_cannot_answer_another_organizations_activity(outsider, program):
    task = activity(program, "task")
    response = post_answer(signed_in(outsider), program, task, text="")
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_outsider_cannot_answer_with_own_program_url(outsider, program):
    own = outsider.enrollments.get().program
    task = activity(program, "task")  # an activity of another organization's program
    response = signed_in(outsider).post(week_url(own, f"activities/{task.pk}/"), {})
    assert response.status_code == 404


def test_answering_needs_post(client_ann, program):
    task = activity(program, "task")
    assert client_ann.get(week_url(program, f"activities/{task.pk}/")).status_code == 405


def test_this_week_shows_the_latest_open_unit(client_ann, program):
    page = client_ann.get(week_url(program)).content.decode()
    assert "Week 2 challenge" in page
    assert "Denne uka" in page


def test_without_javascript_a_unit_is_one_page_of_every_card_and_activity(client_ann, program):
    """One card at a time is app.js's doing: the page itself holds the whole unit."""
    page = client_ann.get(week_url(program, "week/2/")).content.decode()
    unit = program.units.get(number=2)
    assert page.count('<article class="card') == unit.cards.count() > 0
    assert page.count('<section class="activity') == unit.activities.count() > 0
    assert re.search(r'<nav class="steps"[^>]* hidden>', page)  # shown only by app.js
    assert re.search(r'<p class="step-mode" hidden>', page)
    assert "stepping" not in page  # no card is hidden by the server


def test_home_leads_a_participant_to_this_week(client_ann, program):
    response = client_ann.get("/")
    assert response.status_code == 302
    assert response["Location"] == week_url(program)


def test_future_unit_is_locked_with_a_clear_page(client_ann, program):
    response = client_ann.get(week_url(program, "week/3/"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Ikke åpen ennå" in page
    assert "mandag 16. mars" in page and "07:30" in page
    assert "Card **1**" not in page and "Card <strong>1</strong> of 3" not in page


def test_unit_that_does_not_exist_is_404(client_ann, program):
    assert client_ann.get(week_url(program, "week/9/")).status_code == 404


def test_locked_activity_cannot_be_answered(client_ann, program):
    response = post_answer(client_ann, program, activity(program, "task", week=3))
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_draft_program_is_not_shown(client_ann, program):
    program.state = "draft"
    program.save()
    assert client_ann.get(week_url(program)).status_code == 404


def test_deactivated_enrollment_is_not_shown(client_ann, ann, program):
    ann.enrollments.update(is_active=False)
    assert client_ann.get(week_url(program)).status_code == 404


# Answering.


def test_reflection_is_saved_privately_and_redirects_back(client_ann, ann, program):
    reflection = activity(program, "reflection")
    response = post_answer(client_ann, program, reflection, text="I asked first.", audiences=[])
    assert response.status_code == 302
    assert response["Location"].endswith(f"week/2/#activity-{reflection.pk}")
    stored = Response.objects.get(enrollment__user=ann)
    assert (stored.text, stored.audiences) == ("I asked first.", [])


def test_double_submit_stores_one_response(client_ann, program):
    task = activity(program, "task")
    key = str(uuid.uuid4())
    for _ in range(2):
        assert post_answer(client_ann, program, task, key=key, audiences=[]).status_code == 302
    assert Response.objects.count() == 1


def test_empty_reflection_is_refused_in_norwegian(client_ann, program):
    response = post_answer(client_ann, program, activity(program, "reflection"), text="  ")
    assert response.status_code == 400
    assert "Skriv noen ord før du lagrer." in response.content.decode()
    assert not Response.objects.exists()


def test_too_long_reflection_is_refused_and_kept(client_ann, program):
    text = "Lang tekst " * 600
    response = post_answer(
        client_ann, program, activity(program, "reflection"), text=text, audiences=[]
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Lang tekst Lang tekst" in page
    assert "5000 eller færre tegn (den har nå 6599)" in page
    assert not Response.objects.exists()


def test_quiz_without_a_choice_is_refused_in_english(bob, program):
    response = post_answer(signed_in(bob), program, activity(program, "quiz"))
    assert response.status_code == 400
    assert "Choose an answer first." in response.content.decode()


def test_quiz_option_of_another_activity_is_refused(client_ann, program):
    other = activity(program, "quiz", week=1).options.first()
    response = post_answer(client_ann, program, activity(program, "quiz"), choice=other.pk)
    assert response.status_code == 400
    assert not Response.objects.exists()


def test_quiz_answer_shows_feedback(client_ann, program):
    quiz = activity(program, "quiz")
    wrong = quiz.options.get(is_correct=False)
    post_answer(client_ann, program, quiz, choice=wrong.pk)
    page = client_ann.get(week_url(program, "week/2/")).content.decode()
    assert "Ikke helt." in page
    assert "Not quite." in page  # the option's feedback


def test_poll_shows_the_distribution_after_answering(client_ann, bob, program, settings):
    settings.POLL_MIN_ANSWERS = 2
    poll = activity(program, "poll")
    answer(bob.enrollments.get(), poll, value=4)
    post_answer(client_ann, program, poll, value=2)
    page = client_ann.get(week_url(program)).content.decode()
    assert "Slik svarte alle i programmet:" in page
    assert page.count(">50%<") == 2


def test_poll_value_outside_the_scale_is_refused(client_ann, program):
    response = post_answer(client_ann, program, activity(program, "poll"), value=9)
    assert response.status_code == 400
    assert not Response.objects.exists()


def test_htmx_answer_returns_the_activity_alone(client_ann, program):
    quiz = activity(program, "quiz")
    right = quiz.options.get(is_correct=True)
    response = client_ann.post(
        week_url(program, f"activities/{quiz.pk}/"),
        {f"a{quiz.pk}-key": str(uuid.uuid4()), f"a{quiz.pk}-choice": right.pk},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith(f'<section class="activity done" id="activity-{quiz.pk}"')
    assert "Riktig!" in page


def test_reflections_page_lists_and_edits_my_text(client_ann, ann, program):
    reflection = activity(program, "reflection")
    answer(ann.enrollments.get(), reflection, text="Mine alone")
    assert "Mine alone" in client_ann.get(week_url(program, "reflections/")).content.decode()
    response = post_answer(
        client_ann,
        program,
        reflection,
        text="Shared now",
        audiences=["group"],
        next_page="reflections",
    )
    assert response["Location"] == week_url(program, "reflections/")
    assert Response.objects.get().text == "Shared now"


def test_others_reflections_stay_private(client_ann, bob, program):
    answer(bob.enrollments.get(), activity(program, "reflection"), text="Bob's secret")
    for suffix in PAGES:
        assert "Bob&#x27;s secret" not in client_ann.get(week_url(program, suffix)).content.decode()


def test_progress_counts_units_activities_and_streak(client_ann, ann, program):
    enrollment = ann.enrollments.get()
    for act in program.units.get(number=1).activities.all():
        answer(enrollment, act, created_at=program.opens_at(1))
    answer(enrollment, activity(program, "task"))
    page = client_ann.get(week_url(program, "progress/")).content.decode()
    assert '<dd id="weeks-active">2</dd>' in page
    assert "En uke er fullført når alle aktivitetene i den er besvart: 1 uke er det." in page
    assert '<dd id="activities-done">5<small> / 8</small></dd>' in page
    assert '<dd id="streak">2 uker</dd>' in page
    assert "Åpner 16. mars" in page


def test_streak_counts_last_week_until_this_week_is_done(client_ann, ann, program):
    answer(ann.enrollments.get(), activity(program, "task", week=1), created_at=program.opens_at(1))
    page = client_ann.get(week_url(program, "progress/")).content.decode()
    assert '<dd id="streak">1 uke</dd>' in page


def test_markdown_in_cards_cannot_inject_script(client_ann, program):
    card = program.units.get(number=2).cards.first()
    card.body = (
        'Hi <script>alert("x")</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>'
    )
    card.save()
    page = client_ann.get(week_url(program)).content.decode()
    assert "<script>alert" not in page
    assert 'href="javascript' not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_person_language_overrides_organization(bob, program):
    page = signed_in(bob).get(week_url(program)).content.decode()
    assert "This week" in page and "Denne uka" not in page


def test_choosing_a_language_is_remembered(client_ann, ann, program):
    client_ann.post("/language/", {"language": "en", "next": week_url(program)})
    ann.refresh_from_db()
    assert ann.language == "en"
    assert "This week" in client_ann.get(week_url(program)).content.decode()


def test_authors_without_enrollment_are_led_to_the_studio(admin_user):
    response = signed_in(admin_user).get("/")
    assert response["Location"] == "/studio/"


def test_admin_lists_no_responses(admin_user):
    from django.contrib import admin

    from pocketmentor.learning.models import Response

    assert not admin.site.is_registered(Response)


def test_draft_unit_is_not_shown(client_ann, program):
    program.units.filter(number=2).update(published_at=None)
    assert "Week 1 challenge" in client_ann.get(week_url(program)).content.decode()
    assert client_ann.get(week_url(program, "week/2/")).status_code == 404
    assert "Week 2 challenge" not in client_ann.get(week_url(program, "progress/")).content.decode()


def test_removed_activity_is_hidden_and_cannot_be_answered(client_ann, program):
    from django.utils import timezone

    task = activity(program, "task")
    task.removed_at = timezone.now()
    task.save()
    page = client_ann.get(week_url(program)).content.decode()
    assert f'id="activity-{task.pk}"' not in page
    assert post_answer(client_ann, program, task).status_code == 404


def test_poll_results_are_cached_and_count_my_newer_answer(
    client_ann, bob, program, django_assert_num_queries, settings
):
    settings.POLL_MIN_ANSWERS = 1
    poll = activity(program, "poll")
    answer(bob.enrollments.get(), poll, value=4)
    client_ann.get(week_url(program))  # nothing answered: no poll results yet
    post_answer(client_ann, program, poll, value=2)
    first = client_ann.get(week_url(program)).content.decode()
    answer(
        make_person(
            "cy@fjordvik.example", org=program.organization, role="participant"
        ).enrollments.create(program=program),
        poll,
        value=5,
    )
    again = client_ann.get(week_url(program)).content.decode()
    assert first.count(">50%<") == 2 and again.count(">50%<") == 2  # cached for a minute


# Honest edits: an edit from a stale page is shown beside the newer text, never dropped.


def stale_edit(client, program, reflection, text, version, **fields):
    return post_answer(
        client, program, reflection, text=text, audiences=[], version=version, **fields
    )


def test_five_edits_from_one_stale_page_save_one_and_show_four_the_conflict(
    client_ann, ann, program
):
    reflection = activity(program, "reflection")
    answer(ann.enrollments.get(), reflection, text="Written on Monday")
    texts = [f"Edit number {n} from the same page" for n in range(1, 6)]
    responses = [stale_edit(client_ann, program, reflection, text, 1) for text in texts]
    assert [r.status_code for r in responses] == [302, 409, 409, 409, 409]
    for text, response in zip(texts[1:], responses[1:], strict=True):
        page = response.content.decode()
        assert "Denne teksten ble endret et annet sted" in page
        assert "Edit number 1 from the same page" in page  # the newer text
        assert f"{text}</textarea>" in page  # and theirs, ready to keep
        assert 'value="2"' in page  # keeping theirs now edits the newer version
    stored = Response.objects.get()
    assert (stored.text, stored.version) == (texts[0], 2)


def test_keep_mine_after_a_conflict_saves_my_text(client_ann, ann, program):
    reflection = activity(program, "reflection")
    response = answer(ann.enrollments.get(), reflection, text="Newer, from the laptop")
    response.version = 3
    response.save()
    stale_edit(client_ann, program, reflection, "Mine, from the phone", 2)
    kept = stale_edit(client_ann, program, reflection, "Mine, from the phone", 3, resolve="mine")
    assert kept.status_code == 302
    stored = Response.objects.get()
    assert (stored.text, stored.version) == ("Mine, from the phone", 4)


def test_keep_the_newer_after_a_conflict_changes_nothing(client_ann, ann, program):
    reflection = activity(program, "reflection")
    answer(ann.enrollments.get(), reflection, text="Newer, from the laptop", version=2)
    response = client_ann.post(
        week_url(program, f"activities/{reflection.pk}/"),
        {f"a{reflection.pk}-text": "Mine", "resolve": "newer", "next": "reflections"},
    )
    assert response["Location"] == week_url(program, "reflections/")
    assert (Response.objects.get().text, Response.objects.get().version) == (
        "Newer, from the laptop",
        2,
    )


def test_a_conflict_from_my_reflections_returns_there_once_settled(client_ann, ann, program):
    reflection = activity(program, "reflection")
    answer(ann.enrollments.get(), reflection, text="Newer", version=2)
    page = stale_edit(
        client_ann, program, reflection, "Older page", 1, next_page="reflections"
    ).content.decode()
    assert '<input type="hidden" name="next" value="reflections">' in page
    kept = stale_edit(
        client_ann, program, reflection, "Older page", 2, resolve="mine", next_page="reflections"
    )
    assert kept["Location"] == week_url(program, "reflections/")
    assert Response.objects.get().text == "Older page"


def test_a_stale_edit_over_htmx_is_409_with_both_texts(client_ann, ann, program):
    reflection = activity(program, "reflection")
    answer(ann.enrollments.get(), reflection, text="Newer", version=2)
    response = client_ann.post(
        week_url(program, f"activities/{reflection.pk}/"),
        {
            f"a{reflection.pk}-key": str(uuid.uuid4()),
            f"a{reflection.pk}-text": "From the train",
            f"a{reflection.pk}-audiences": "group",
            f"a{reflection.pk}-version": "1",
        },
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert page.lstrip().startswith('<section class="activity done"')
    assert "Behold min" in page and "Behold den nyere" in page
    assert "Newer" in page and "From the train</textarea>" in page
    assert Response.objects.get().text == "Newer"


def test_a_second_quiz_answer_is_told_the_first_stands(client_ann, program):
    quiz = activity(program, "quiz")
    right, wrong = quiz.options.get(is_correct=True), quiz.options.get(is_correct=False)
    post_answer(client_ann, program, quiz, choice=wrong.pk)
    response = post_answer(client_ann, program, quiz, choice=right.pk)
    assert response.status_code == 302
    page = client_ann.get(response["Location"]).content.decode()
    assert "Du hadde allerede svart på denne quizen. Det første svaret ditt gjelder" in page
    assert list(Response.objects.get().choices.all()) == [wrong]


def test_a_second_poll_answer_over_htmx_is_told_the_first_stands(bob, program):
    poll = activity(program, "poll")
    client = signed_in(bob)
    post_answer(client, program, poll, value=2)
    response = client.post(
        week_url(program, f"activities/{poll.pk}/"),
        {f"a{poll.pk}-key": str(uuid.uuid4()), f"a{poll.pk}-value": 5},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "You had answered this poll already. Your first answer stands" in (
        response.content.decode()
    )
    assert Response.objects.get().value == 2


def test_a_refused_answer_over_htmx_is_400_and_keeps_the_text(client_ann, program):
    reflection = activity(program, "reflection")
    response = client_ann.post(
        week_url(program, f"activities/{reflection.pk}/"),
        {f"a{reflection.pk}-key": str(uuid.uuid4()), f"a{reflection.pk}-text": "x" * 5001},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "x" * 5001 + "</textarea>" in response.content.decode()
    assert not Response.objects.exists()


def _people(org, program, n):
    people = [make_person(f"p{i}@fjordvik.example", org=org, role="participant") for i in range(n)]
    for person in people:
        enroll(person, program)
    return people


def _quiz_order(client, program, quiz) -> list[str]:
    page = client.get(week_url(program)).content.decode()
    section = page.split(f'id="activity-{quiz.pk}"')[1].split("</section>")[0]
    return re.findall(r'<label class="choice"><input[^>]*> ([^<]+)</label>', section)


def test_quiz_options_come_in_each_persons_own_order_the_same_on_every_visit(org, program):
    quiz = activity(program, "quiz")
    written = ["Ask", "Tell"] + [f"Option {n}" for n in range(3, 7)]
    for position, text in enumerate(written[2:], start=3):
        Option.objects.create(activity=quiz, position=position, text=text)
    orders = []
    for person in _people(org, program, 6):
        client = signed_in(person)
        first = _quiz_order(client, program, quiz)
        assert sorted(first) == sorted(written)
        assert _quiz_order(client, program, quiz) == first  # the same order again
        orders.append(tuple(first))
    assert len(set(orders)) > 1
    assert any(order != tuple(written) for order in orders)


def test_poll_shares_are_shown_only_from_five_answers(client_ann, org, program):
    poll = activity(program, "poll")
    others = _people(org, program, 4)
    answer(others[0].enrollments.get(), poll, value=4)
    post_answer(client_ann, program, poll, value=2)
    page = client_ann.get(week_url(program)).content.decode()
    assert "Takk! Hvordan alle svarte, vises når 5 personer har svart." in page
    assert "%<" not in page.split(f'id="activity-{poll.pk}"')[1].split("</section>")[0]

    for person in others[1:]:
        answer(person.enrollments.get(), poll, value=2)
    # The counts are kept a minute; a minute later they are counted again.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        page = client_ann.get(week_url(program)).content.decode()
    assert "Slik svarte alle i programmet:" in page
    assert ">80%<" in page and ">20%<" in page


def test_every_participant_page_links_to_your_data_and_messages(client_ann, program):
    for suffix in ("", "progress/", "reflections/", "week/1/"):
        page = client_ann.get(week_url(program, suffix)).content.decode()
        foot = page.split('<footer class="foot">')[1]
        assert f'<a href="{reverse("mydata:overview")}">Dine data</a>' in foot
        assert f'<a href="{reverse("nudges:mine")}">Meldinger og påminnelser</a>' in foot


def test_an_answer_sent_by_the_page_updates_the_weeks_counter_beside_it(client_ann, program):
    task = activity(program, "task")
    page = client_ann.get(week_url(program)).content.decode()
    assert '<p class="meter" id="unit-progress">0 av 4 aktiviteter fullført</p>' in page
    data = {f"a{task.pk}-key": str(uuid.uuid4()), f"a{task.pk}-audiences": []}
    answer_html = client_ann.post(
        week_url(program, f"activities/{task.pk}/"), data, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'id="activity-{task.pk}"' in answer_html
    assert (
        '<p class="meter" id="unit-progress" hx-swap-oob="true">1 av 4 aktiviteter fullført</p>'
        in answer_html
    )


def test_an_answer_kept_for_someone_else_is_refused_and_not_stored(client_ann, bob, program):
    reflection = activity(program, "reflection")
    fields = {"key": str(uuid.uuid4()), "text": "Bob's words", "audiences": []}
    data = {f"a{reflection.pk}-{name}": value for name, value in fields.items()}
    url = week_url(program, f"activities/{reflection.pk}/")
    response = client_ann.post(url, data, HTTP_HX_REQUEST="true", HTTP_X_WRITER=str(bob.pk))
    assert response.status_code == 403
    assert not Response.objects.exists()
    ann = client_ann.session["_auth_user_id"]
    response = client_ann.post(url, data, HTTP_HX_REQUEST="true", HTTP_X_WRITER=ann)
    assert response.status_code == 200
    assert Response.objects.get().text == "Bob's words"
