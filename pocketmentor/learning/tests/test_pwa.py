import io
import json

from django.test import Client
from PIL import Image

from pocketmentor.conftest import signed_in, week_url


def test_manifest_names_the_organization_and_its_colours(ann, program):
    response = signed_in(ann).get("/o/fjordvik/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Fjordvik kommune"
    assert manifest["theme_color"] == program.organization.primary_color
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}


def test_manifest_holds_only_the_public_brand(ann, program):
    manifest = json.loads(Client().get("/o/fjordvik/manifest.webmanifest").content)
    assert set(manifest) == {
        "name", "short_name", "lang", "start_url", "scope", "display", "background_color",
        "theme_color", "icons",
    }  # fmt: skip
    assert Client().get("/o/nowhere/manifest.webmanifest").status_code == 404


def test_icons_are_png_of_the_size_asked(ann, program):
    manifest = json.loads(signed_in(ann).get("/o/fjordvik/manifest.webmanifest").content)
    for entry in manifest["icons"]:
        response = Client().get(entry["src"])
        image = Image.open(io.BytesIO(response.content))
        assert image.format == "PNG"
        assert f"{image.width}x{image.height}" == entry["sizes"]
        assert "immutable" in response["Cache-Control"]


def test_icon_refuses_what_is_not_a_colour_or_a_letter(db):
    assert Client().get("/icons/zzzzzz/F/192.png").status_code == 404
    assert Client().get("/icons/0b5d6b/FF/192.png").status_code == 404
    assert Client().get("/icons/0b5d6b/F/100.png").status_code == 404


def test_service_worker_controls_the_whole_site(db):
    response = Client().get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "/static/pocketmentor/app.css" in body and "/offline/" in body
    assert "htmx" not in body  # participant pages do not load it: no phone fetches it
    assert "no-cache" in response["Cache-Control"]


def test_participant_pages_link_the_app(ann, program):
    page = signed_in(ann).get(week_url(program)).content.decode()
    assert 'rel="manifest" href="/o/fjordvik/manifest.webmanifest"' in page
    assert 'data-sw="/sw.js"' in page
    script = page.split('<script id="pm-text" type="application/json">', 1)[1].split("</script>")[0]
    assert json.loads(script)["queued"] == "Venter på å bli sendt"  # app.js's, in Norwegian


def test_offline_page_says_what_still_works(db):
    page = Client(headers={"accept-language": "en"}).get("/offline/").content.decode()
    assert "You are offline" in page
