"""An author writes a three-week program in the studio; a participant sees exactly that."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from pocketmentor.conftest import enroll, make_person
from pocketmentor.orgs.models import Organization
from pocketmentor.programs.models import Program
from pocketmentor.tests.chromium import needs_chromium

pytestmark = needs_chromium
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


def signed_in_context(browser, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale="nb-NO")
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context


def png(path):
    Image.new("RGB", (1600, 900), "#b4461e").save(path, format="PNG")
    return path


def add_card(page, kind_label, *, body="", caption="", url="", image=None):
    page.get_by_label("Legg til et kort").select_option(label=kind_label)
    page.locator("form.add").first.get_by_role("button", name="Legg til").click()
    if body:
        page.get_by_label("Tekst", exact=True).fill(body)
    if caption:
        page.get_by_label("Bildetekst").fill(caption)
    if url:
        page.get_by_label("Lenke (bilde eller video)").fill(url)
    if image:
        page.get_by_label("Last opp et bilde").set_input_files(str(image))
    page.get_by_role("button", name="Lagre kortet").click()
    expect(page.get_by_text("Kortet er lagret.")).to_be_visible()


def add_activity(page, kind_label, *, prompt, options=(), scale=None):
    page.get_by_label("Legg til en aktivitet").select_option(label=kind_label)
    page.locator("form.add").nth(1).get_by_role("button", name="Legg til").click()
    page.get_by_label("Spørsmål").fill(prompt)
    for index, (text, right, feedback) in enumerate(options):
        page.locator(f"[name='options-{index}-text']").fill(text)
        if right:
            page.locator(f"[name='options-{index}-is_correct']").check()
        page.locator(f"[name='options-{index}-feedback']").fill(feedback)
    if scale:
        for label, value in zip(
            ["Skala fra", "Skala til", "Etikett for laveste verdi", "Etikett for høyeste verdi"],
            scale,
            strict=True,
        ):
            page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Lagre aktiviteten").click()
    expect(page.get_by_text("Aktiviteten er lagret.")).to_be_visible()


def write_every_other_kind(page, image):
    add_card(page, "Sitat", body="Spør før du svarer.", caption="En rektor")
    add_card(page, "Bilde", image=image, caption="Et team rundt et bord")
    add_card(
        page, "Video", url="https://youtu.be/dQw4w9WgXcQ", caption="To minutter om tilbakemelding"
    )
    add_activity(page, "Oppgave", prompt="Still tre åpne spørsmål.")
    add_activity(
        page, "Quiz", prompt="Hva er best?",
        options=[("Spørre", True, "Ja, det åpner."), ("Fortelle", False, "Ikke først.")],
    )  # fmt: skip
    add_activity(
        page, "Avstemning", prompt="Hvor ofte spør du?", scale=["1", "5", "Sjelden", "Ofte"]
    )


def test_author_writes_and_publishes_a_program_a_participant_sees_it(
    browser, live_server, transactional_db, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    org = Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="nb")
    author = make_person("coach@partner.example", org=org, role="facilitator")
    context = signed_in_context(browser, live_server, author, LAPTOP)
    page = context.new_page()
    page.goto(live_server.url + "/studio/")
    page.get_by_role("link", name="Nytt program").click()
    page.get_by_label("Tittel").fill("Trygg i ny rolle")
    start = timezone.localdate() - dt.timedelta(days=15)
    page.get_by_label("Startdato").fill(start.isoformat())
    page.get_by_role("button", name="Opprett programmet").click()
    expect(page.get_by_text("Programmet er opprettet som utkast.")).to_be_visible()

    image = png(tmp_path / "team.png")
    for week in (1, 2, 3):
        # An empty program's page leads with writing week 1; later weeks are added below.
        page.get_by_role("button", name="Skriv uke 1" if week == 1 else "Legg til en uke").click()
        page.get_by_label("Tittel").fill(f"Uke {week}: øving")
        page.get_by_role("button", name="Lagre tittel og sammendrag").click()
        add_card(page, "Tekst", body=f"Les dette, **uke {week}**.")
        add_activity(page, "Refleksjon", prompt=f"Hva lærte du i uke {week}?")
        if week == 1:
            write_every_other_kind(page, image)
        page.get_by_role("button", name="Publiser denne uka").click()
        page.get_by_role("link", name="Trygg i ny rolle").click()

    page.get_by_role("link", name="Start programmet").click()
    expect(page.get_by_text("Klar: blir publisert")).to_have_count(0)  # all 3 published
    page.get_by_role("button", name="Start programmet").click()
    expect(page.get_by_text("Programmet er i gang, og 0 uker er publisert.")).to_be_visible()
    program = Program.objects.get(slug="trygg-i-ny-rolle")
    assert program.state == "live" and program.units.published().count() == 3
    context.close()

    participant = make_person("kari@fjordvik.example", org=org, role="participant")
    enroll(participant, program)
    context = signed_in_context(browser, live_server, participant, PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/o/fjordvik/trygg-i-ny-rolle/")
    expect(page.locator("h1")).to_have_text("Uke 3: øving")
    page.goto(f"{live_server.url}/o/fjordvik/trygg-i-ny-rolle/week/1/")
    cards = page.locator("article.card")
    expect(cards).to_have_count(4)
    expect(cards.nth(0)).to_contain_text("Les dette, uke 1.")
    expect(cards.nth(0).locator("strong")).to_have_text("uke 1")
    expect(cards.nth(1)).to_contain_text("Spør før du svarer.")
    expect(cards.nth(1)).to_contain_text("En rektor")
    expect(cards.nth(2).get_by_role("img", name="Et team rundt et bord")).to_be_visible()
    video = cards.nth(3)
    expect(video.locator("iframe")).to_have_count(0)  # nothing loads from YouTube yet
    video.get_by_role("link").click()
    expect(video.locator("iframe")).to_have_attribute(
        "src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
    )
    kinds = page.locator("section.activity .kind")
    expect(kinds).to_have_text(["Refleksjon", "Oppgave", "Quiz", "Avstemning"])
    expect(page.locator("section.activity").nth(2)).to_contain_text("Spørre")
    expect(page.locator("section.activity").nth(3)).to_contain_text("Sjelden")
    context.close()
