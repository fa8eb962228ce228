"""An admin imports 250 people in Chromium; an invitation arrives and signs one of them in."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from pocketmentor.conftest import make_person, make_program
from pocketmentor.learning.models import Enrollment
from pocketmentor.nudges.worker import run_tasks
from pocketmentor.orgs.models import Organization
from pocketmentor.people.tests.test_invitations import received, smtp_server, token
from pocketmentor.tests.chromium import (
    AXE,
    LAPTOP,
    PHONE,
    WAIT_MS,
    needs_chromium,
    serious_violations,
)

pytestmark = needs_chromium


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies by its own."""
    yield


def people_csv(path):
    rows = [f"Leder {n:03d};leder{n:03d}@fjordvik.example;Oppvekst;Gruppe {n % 25 + 1}"
            for n in range(1, 248)]  # fmt: skip
    rows[9] = "Feil Adresse;ikke-en-adresse;Teknisk;Gruppe 1"
    rows[99] = ";uten.navn@fjordvik.example;Teknisk;Gruppe 1"
    rows += ["Leder Igjen;LEDER001@fjordvik.example;Teknisk;Gruppe 2"] + [
        f"Leder {n:03d};leder{n:03d}@fjordvik.example;Helse;Gruppe 3" for n in (248, 249)
    ]
    path.write_text("\n".join(["navn;e-post;avdeling;gruppe", *rows]) + "\n", encoding="utf-8-sig")
    return path


def test_admin_imports_participants_and_an_invitation_signs_one_in(
    browser, live_server, transactional_db, tmp_path, settings
):
    settings.SITE_URL = live_server.url
    org = Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="nb")
    make_program(org)
    admin = make_person("hr@fjordvik.example", org=org, role="admin")
    client = Client()
    client.force_login(admin)
    context = browser.new_context(viewport=LAPTOP, locale="nb-NO")
    session = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()

    with smtp_server(settings) as inbox:
        page.goto(f"{live_server.url}/studio/fjordvik/p/lead/")
        page.get_by_role("link", name="Importer deltakere").click()
        page.get_by_label("CSV- eller Excel-fil").set_input_files(
            str(people_csv(tmp_path / "p.csv"))
        )
        page.get_by_role("button", name="Se hva importen vil gjøre").click()
        # A worker reads the file; the page says so, and shows the preview once it is read.
        expect(page.get_by_role("heading", name="Leser filen …")).to_be_visible()
        if AXE.exists():  # npm installs it; CI always has it
            assert serious_violations(page) == []
        assert run_tasks(name="test") == 1

        # htmx asks every two seconds, and loads the page again as the preview.
        expect(page.get_by_role("heading", name="3 rader blir avvist")).to_be_visible(
            timeout=WAIT_MS
        )
        refused = page.locator("table").first
        expect(refused.locator("tbody tr")).to_have_count(3)
        expect(page.locator("#row-11")).to_contain_text("«ikke-en-adresse» er ikke en gyldig")
        expect(page.locator("#row-101")).to_contain_text("Navnet mangler.")
        expect(page.locator("#row-249")).to_contain_text("står også på rad 2")
        expect(page.get_by_role("heading", name="247 personer blir lagt til")).to_be_visible()
        page.get_by_role("button", name="Importer", exact=True).click()

        expect(page.get_by_text("Importen er ferdig: 247 personer lagt til")).to_be_visible()
        expect(page.get_by_text("247 invitasjoner er på vei.")).to_be_visible()
        assert Enrollment.objects.filter(program__slug="lead").count() == 247
        assert len(inbox.messages) == 247
    context.close()

    to, subject, text, _html = next(m for m in received(inbox) if m[0].startswith("leder042"))
    assert subject == "Invitasjon fra Fjordvik kommune"
    phone = browser.new_context(viewport=PHONE, locale="nb-NO")
    page = phone.new_page()
    page.goto(f"{live_server.url}/login/?t={token(text)}")
    page.get_by_role("button", name="Logg inn").click()
    expect(page).to_have_url(f"{live_server.url}/o/fjordvik/lead/")
    expect(page.locator("h1")).to_have_text("Week 3 challenge")
    phone.close()
