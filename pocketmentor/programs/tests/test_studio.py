import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from pocketmentor.conftest import answer, signed_in
from pocketmentor.learning.models import Response
from pocketmentor.programs import media
from pocketmentor.programs.models import Activity, Card, Program, Unit

BASE = "/studio/fjordvik/p/lead/"


@pytest.fixture
def author(facilitator):
    return signed_in(facilitator)


def studio_urls(program):
    unit = program.units.get(number=1)
    card, activity = unit.cards.first(), unit.activities.first()
    week = f"{BASE}weeks/1/"
    return [
        "/studio/fjordvik/", "/studio/fjordvik/new/", "/studio/fjordvik/import/", BASE,
        f"{BASE}settings/", f"{BASE}duplicate/", f"{BASE}export.zip", week,
        f"{week}cards/new/", f"{week}cards/{card.pk}/", f"{week}activities/{activity.pk}/",
    ]  # fmt: skip


def test_admins_and_facilitators_open_the_studio(admin_user, facilitator, program):
    for person in (admin_user, facilitator):
        client = signed_in(person)
        for url in studio_urls(program):
            if url.endswith(".zip"):
                continue  # needs the archive module; tested in test_archive
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["outsider", "ann"])
def test_others_get_404_everywhere_in_the_studio(request, who, program, facilitator):
    client = signed_in(request.getfixturevalue(who))
    for url in studio_urls(program):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"title": "x"}).status_code in (404, 405), url
    assert Program.objects.get(organization=program.organization).title == "Leading"


def test_strangers_are_sent_to_sign_in(program):
    response = Client().get(BASE)
    assert response.status_code == 302 and response["Location"].startswith("/login/new/")


def test_new_empty_program_is_a_draft_with_a_slug_from_its_title(author, org):
    response = author.post(
        "/studio/fjordvik/new/",
        {"title": "Ny leder høst", "slug": "", "language": "nb", "start_date": "2026-09-07",
         "release_time": "08:00", "time_zone": "Europe/Oslo", "template": ""},
    )  # fmt: skip
    program = Program.objects.get(slug="ny-leder-host")
    assert response["Location"] == "/studio/fjordvik/p/ny-leder-host/"
    assert program.state == "draft" and program.organization == org


def test_new_program_from_a_template_has_its_weeks_as_drafts(author, org):
    author.post(
        "/studio/fjordvik/new/",
        {"title": "Ledere 2027", "slug": "ledere-2027", "language": "nb",
         "start_date": "2027-01-04", "release_time": "07:30", "time_zone": "Europe/Oslo",
         "template": "leadership/nb"},
    )  # fmt: skip
    program = Program.objects.get(slug="ledere-2027")
    assert program.title == "Ledere 2027"
    assert program.units.count() == 8
    assert not program.units.published().exists()


def test_a_taken_short_name_is_refused_and_the_form_kept(author, program):
    response = author.post(
        "/studio/fjordvik/new/",
        {"title": "Another", "slug": "lead", "language": "en", "start_date": "2026-09-07",
         "release_time": "08:00", "time_zone": "Europe/Oslo"},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "Et annet program bruker allerede dette korte navnet." in page
    assert 'value="Another"' in page
    assert Program.objects.count() == 1


def test_schedule_preview_lists_every_weeks_opening(author, program):
    page = author.get(BASE).content.decode()
    assert page.count("07:30") >= 3
    assert "02.03.2026" in page and "16.03.2026" in page


def test_weeks_publish_and_move(author, program):
    author.post(f"{BASE}weeks/3/action/", {"action": "unpublish", "confirm": "1"})
    assert program.units.get(number=3).published_at is None
    author.post(f"{BASE}weeks/3/action/", {"action": "up", "confirm": "1"})  # week 2 is live
    assert program.units.get(number=2).published_at is None
    assert list(program.units.order_by("number").values_list("title", flat=True)) == [
        "Week 1 challenge", "Week 3 challenge", "Week 2 challenge",
    ]  # fmt: skip


def test_cards_are_added_moved_and_deleted(author, program):
    week = f"{BASE}weeks/1/"
    author.post(
        f"{week}cards/new/?kind=quote",
        {"kind": "quote", "body": "Ask more.", "caption": "A leader"},
    )
    unit = program.units.get(number=1)
    quote = unit.cards.get(kind="quote")
    assert quote.position == 3
    author.post(f"{week}cards/{quote.pk}/action/", {"action": "up"})
    assert list(unit.cards.values_list("kind", "position")) == [
        ("text", 1), ("quote", 2), ("text", 3),
    ]  # fmt: skip
    author.post(f"{week}cards/{quote.pk}/action/", {"action": "delete", "confirm": "1"})
    assert not unit.cards.filter(kind="quote").exists()


def test_card_preview_is_sanitised(author, program):
    response = author.post(
        "/studio/fjordvik/card-preview/", {"kind": "text", "body": "**Hi** <script>x()</script>"}
    )
    page = response.content.decode()
    assert "<strong>Hi</strong>" in page and "<script>" not in page


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#0b5d6b").save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_uploaded_image_is_resized_and_served_as_an_image(author, program, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("photo.png", png(3000, 2000), content_type="image/png")
    author.post(
        f"{BASE}weeks/1/cards/new/",
        {"kind": "image", "caption": "A team meeting", "image": upload},
    )
    card = Card.objects.get(kind="image")
    assert re.fullmatch(r"/media/cards/[0-9a-f]{32}\.jpg", card.url)
    response = Client().get(card.url)
    assert response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (media.MAX_WIDTH, round(2000 * media.MAX_WIDTH / 3000))


def test_a_file_that_is_not_an_image_is_refused(author, program, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("evil.png", b"<html><script>x()</script></html>")
    response = author.post(
        f"{BASE}weeks/1/cards/new/", {"kind": "image", "caption": "x", "image": upload}
    )
    assert "Denne filen er ikke et bilde." in response.content.decode()
    assert not Card.objects.filter(kind="image").exists()
    assert not list(tmp_path.iterdir())


def test_an_image_too_large_in_pixels_is_refused_with_a_message(
    author, program, settings, tmp_path
):
    from pocketmentor.tests.test_upload_bounds import _png

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("huge.png", _png(20_000, 20_000), content_type="image/png")
    response = author.post(
        f"{BASE}weeks/1/cards/new/", {"kind": "image", "caption": "Kept", "image": upload}
    )
    page = response.content.decode()
    assert "Bildet har for mange piksler: høyst 24 megapiksler" in page
    assert 'value="Kept"' in page
    assert not Card.objects.filter(kind="image").exists()
    assert not list(tmp_path.iterdir())


def test_media_is_never_served_as_html(settings, tmp_path, db):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "page.html").write_text("<script>x()</script>")
    assert Client().get("/media/cards/page.html").status_code == 404


def test_video_card_needs_a_playable_link(author, program):
    week = f"{BASE}weeks/1/"
    response = author.post(f"{week}cards/new/", {"kind": "video", "url": "https://example.com/x"})
    assert "YouTube" in response.content.decode()
    author.post(
        f"{week}cards/new/",
        {"kind": "video", "url": "https://youtu.be/dQw4w9WgXcQ", "caption": "Feedback in 2 min"},
    )
    assert Card.objects.filter(kind="video").exists()


def quiz_data(**extra):
    data = {
        "prompt": "Which is best?", "options-TOTAL_FORMS": "3", "options-INITIAL_FORMS": "0",
        "options-0-text": "Ask", "options-0-is_correct": "on", "options-0-feedback": "Yes.",
        "options-1-text": "Tell", "options-1-feedback": "Not quite.", "options-2-text": "",
    }  # fmt: skip
    return data | extra


def test_a_quiz_is_created_with_its_options(author, program):
    author.post(f"{BASE}weeks/1/activities/new/?kind=quiz", quiz_data())
    quiz = Activity.objects.filter(kind="quiz").order_by("-pk").first()
    assert quiz.position == 5
    assert [(o.text, o.is_correct) for o in quiz.options.all()] == [("Ask", True), ("Tell", False)]


def test_a_quiz_without_a_right_answer_is_refused_and_kept(author, program):
    data = quiz_data()
    del data["options-0-is_correct"]
    response = author.post(f"{BASE}weeks/1/activities/new/?kind=quiz", data)
    page = response.content.decode()
    assert "Marker det riktige svaret." in page and 'value="Ask"' in page
    assert Activity.objects.filter(kind="quiz").count() == 3


def test_changing_wording_keeps_the_answers(author, program, ann):
    reflection = program.units.get(number=1).activities.get(kind="reflection")
    answer(ann.enrollments.get(), reflection, text="Mine")
    author.post(f"{BASE}weeks/1/activities/{reflection.pk}/", {"prompt": "What did you see?"})
    reflection.refresh_from_db()
    assert reflection.prompt == "What did you see?"
    assert Response.objects.get().activity == reflection


def test_deleting_an_answered_activity_asks_first_and_keeps_answers(author, program, ann):
    task = program.units.get(number=1).activities.get(kind="task")
    answer(ann.enrollments.get(), task)
    url = f"{BASE}weeks/1/activities/{task.pk}/action/"
    page = author.post(url, {"action": "delete"}).content.decode()
    assert "1 deltaker har svart på den." in page
    assert Activity.objects.live().filter(pk=task.pk).exists()
    author.post(url, {"action": "delete", "confirm": "1"})
    task.refresh_from_db()
    assert task.removed_at is not None and Response.objects.filter(activity=task).exists()


def test_duplicate_copies_content_not_people(author, program, ann):
    answer(ann.enrollments.get(), program.units.get(number=1).activities.first(), text="x")
    author.post(f"{BASE}duplicate/", {"title": "Leading, spring", "start_date": "2027-01-04"})
    copy = Program.objects.get(slug="leading-spring")
    assert copy.state == "draft" and copy.units.count() == 3
    assert Card.objects.filter(unit__program=copy).count() == 6
    assert not copy.enrollments.exists() and not copy.groups.exists()
    assert not Response.objects.filter(activity__unit__program=copy).exists()


def test_going_live_from_the_program_page_leads_to_its_confirmation(author, program):
    program.state = "draft"
    program.save()
    response = author.post(f"{BASE}state/", {"state": "live"})
    assert response["Location"] == f"{BASE}go-live/"
    assert Program.objects.get().state == "draft"
    author.post(f"{BASE}go-live/")
    assert Program.objects.get().state == "live"


def test_new_week_is_added_at_the_end_as_a_draft(author, program):
    response = author.post(f"{BASE}weeks/new/")
    unit = Unit.objects.get(program=program, number=4)
    assert unit.published_at is None
    assert response["Location"] == f"{BASE}weeks/4/"


def test_a_zip_round_trips_through_the_studio(author, program):
    data = author.get(f"{BASE}export.zip").content
    program.units.filter(number=1).update(title="Changed here")
    upload = SimpleUploadedFile("lead.zip", data, content_type="application/zip")
    response = author.post("/studio/fjordvik/import/", {"archive": upload})
    assert response["Location"] == BASE
    assert program.units.get(number=1).title == "Week 1 challenge"


def test_a_bad_zip_changes_nothing_and_says_why(author, program):
    upload = SimpleUploadedFile("notes.zip", b"not a zip at all")
    response = author.post("/studio/fjordvik/import/", {"archive": upload})
    assert response.status_code == 400
    assert "Ingenting ble importert" in response.content.decode()
    assert "Denne filen er ikke en zip-fil." in response.content.decode()
    assert Program.objects.filter(organization=program.organization).count() == 1


def test_the_problems_of_an_uploaded_program_are_told_in_the_authors_language(
    author, facilitator, program
):
    folder = io.BytesIO()
    with zipfile.ZipFile(folder, "w") as archive:
        archive.writestr("new/program.yaml", "title: Ny\nslug: ny program\nlanguage: nb\n")
        archive.writestr("new/unit-01.md", "---\ntitle: Uke 1\n---\n+++ poster\nTekst.\n")
    upload = SimpleUploadedFile("new.zip", folder.getvalue(), content_type="application/zip")
    page = author.post("/studio/fjordvik/import/", {"archive": upload}).content.decode()
    assert "slug kan bare ha bokstaver, sifre, - og _" in page
    assert "unit-01.md linje 4: ukjent korttype «poster»" in page
    facilitator.language = "en"
    facilitator.save()
    upload.seek(0)
    page = author.post("/studio/fjordvik/import/", {"archive": upload}).content.decode()
    assert "unit-01.md line 4: unknown card kind &#x27;poster&#x27;" in page
    assert not Program.objects.filter(slug__startswith="ny").exists()


def test_the_week_editor_lists_cards_and_prompts_as_rendered_markdown(author, program):
    unit = program.units.get(number=1)
    unit.cards.filter(position=1).update(body="**Bold** move <script>x()</script>\n\n- one\n- two")
    page = author.get(f"{BASE}weeks/1/").content.decode()
    assert "<strong>Bold</strong> move" in page
    assert "**" not in page and "<script>x()" not in page
    assert "<strong>2</strong> of 1." in page  # the second card, as written in the fixture


def test_a_long_card_is_cut_short_in_the_list_with_its_tags_closed(author, program):
    unit = program.units.get(number=1)
    unit.cards.filter(position=1).update(body="*" + ("word " * 80).strip() + "*")
    page = author.get(f"{BASE}weeks/1/").content.decode()
    snippet = re.search(r'<div class="snippet">(.*?)</div>', page, re.S).group(1)
    assert snippet.count("<em>") == snippet.count("</em>") == 1
    assert snippet.count("word") < 30 and "…" in snippet


def quiz_fields(**extra):
    return {
        "prompt": "Which **question** opens?", "options-TOTAL_FORMS": "3",
        "options-INITIAL_FORMS": "0", "options-0-text": "What have you tried?",
        "options-0-is_correct": "on", "options-1-text": "Why did you?", "options-2-text": "",
    } | extra  # fmt: skip


def test_the_quiz_editor_previews_the_question_and_its_options(author, program):
    response = author.post("/studio/fjordvik/activity-preview/quiz/", quiz_fields())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Which <strong>question</strong> opens?" in page
    assert "What have you tried?" in page and "Why did you?" in page
    assert page.count('type="radio"') == 2 and "Riktig svar" in page
    assert "sin egen rekkefølge" in page
    multiple = author.post("/studio/fjordvik/activity-preview/quiz/", quiz_fields(multiple="on"))
    assert multiple.content.decode().count('type="checkbox"') == 2


def test_the_poll_editor_previews_its_scale_or_its_options(author, program):
    scale = {
        "prompt": "How often?", "scale_min": "1", "scale_max": "4", "scale_low": "Rarely",
        "scale_high": "Always", "options-TOTAL_FORMS": "0", "options-INITIAL_FORMS": "0",
    }  # fmt: skip
    page = author.post("/studio/fjordvik/activity-preview/poll/", scale).content.decode()
    assert page.count('type="radio"') == 4 and "Rarely" in page and "Always" in page
    options = quiz_fields(prompt="Which day?")
    page = author.post("/studio/fjordvik/activity-preview/poll/", options).content.decode()
    assert page.count('type="radio"') == 2 and "Riktig svar" not in page
    empty = {"prompt": "", "options-TOTAL_FORMS": "0", "options-INITIAL_FORMS": "0"}
    page = author.post("/studio/fjordvik/activity-preview/poll/", empty).content.decode()
    assert "Alternativene vises her mens du skriver dem." in page


def test_previewing_changes_nothing(author, program):
    before = Activity.objects.count(), program.organization.pages_version
    author.post("/studio/fjordvik/activity-preview/quiz/", quiz_fields())
    program.organization.refresh_from_db()
    assert (Activity.objects.count(), program.organization.pages_version) == before


def test_without_javascript_the_preview_button_shows_the_quiz_and_saves_nothing(author, program):
    count = Activity.objects.count()
    url = f"{BASE}weeks/1/activities/new/?kind=quiz"
    response = author.post(url, quiz_fields(preview="1"))
    page = response.content.decode()
    assert response.status_code == 200 and Activity.objects.count() == count
    preview = page[page.index('id="preview"') :]
    assert "What have you tried?" in preview and "Which <strong>question</strong> opens?" in preview
    assert 'value="What have you tried?"' in page  # what was typed stays in the form
    assert page.count('name="options-') >= 3 * 2  # no row added


def test_an_existing_quiz_opens_with_its_preview(author, program):
    quiz = program.units.get(number=1).activities.get(kind="quiz")
    page = author.get(f"{BASE}weeks/1/activities/{quiz.pk}/").content.decode()
    preview = page[page.index('id="preview"') :]
    assert "Which is best?" in preview and "Ask" in preview and "Tell" in preview
    assert 'hx-post="/studio/fjordvik/activity-preview/quiz/"' in page


@pytest.mark.parametrize("who", ["outsider", "ann"])
def test_others_cannot_use_the_activity_preview(request, who, program):
    client = signed_in(request.getfixturevalue(who))
    response = client.post("/studio/fjordvik/activity-preview/quiz/", quiz_fields())
    assert response.status_code == 404
