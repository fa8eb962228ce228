import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from pocketmentor.lib.contrast import contrast, readable_on_white
from pocketmentor.orgs.models import Organization


def test_contrast_matches_the_wcag_extremes():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_a_readable_colour_is_kept():
    assert readable_on_white("#0b5d6b") == "#0b5d6b"


@pytest.mark.parametrize("light", ["#ffd700", "#87ceeb", "#ffffff", "#ff8800"])
def test_a_light_colour_is_darkened_until_it_passes(light):
    safe = readable_on_white(light)
    assert safe != light
    assert contrast(safe, "#ffffff") >= 4.5


def test_pages_use_the_safe_variant(ann, program):
    program.organization.primary_color = "#ffd700"
    program.organization.save()
    client = Client()
    client.force_login(ann)
    page = client.get("/o/fjordvik/lead/").content.decode()
    [stylesheet] = re.findall(r'href="(/brand/[^"]+\.css)"', page)
    css = client.get(stylesheet).content.decode()
    assert "ffd700" not in stylesheet and "--brand:#ffd700" not in css
    assert f"--brand:{program.organization.brand_primary};" in css


def test_the_admin_is_told_when_a_colour_is_too_light(admin_user, org):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    data = {
        "name": org.name, "slug": org.slug, "language": "en", "time_zone": org.time_zone,
        "primary_color": "#87ceeb", "accent_color": org.accent_color,
    }  # fmt: skip
    response = client.post(f"/admin/orgs/organization/{org.pk}/change/", data)
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert "#87ceeb (hovedfarge) er for lys" in message  # in the admin's language
    assert Organization.objects.get().brand_primary in message
