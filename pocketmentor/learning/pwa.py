"""The installable app: a manifest and icons per organization, the service worker, offline."""

import hashlib
import io
import re
from functools import lru_cache

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from PIL import Image, ImageDraw, ImageFont

from pocketmentor.orgs.models import Organization

ICON_SIZES = (192, 512)
HEX = re.compile(r"[0-9a-fA-F]{6}")


@require_GET
@cache_control(public=True, max_age=86400)
def manifest(request: HttpRequest, org: str) -> JsonResponse:
    """The organization's app: public like its sign-in page, as browsers fetch it without cookies.

    It holds the name and colours only.
    """
    organization = get_object_or_404(Organization, slug=org)
    color, letter = organization.brand_primary.lstrip("#"), organization.name[:1].upper()
    icons = [
        {
            "src": reverse("learning:icon", args=[color, letter, size]),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in ICON_SIZES
    ]
    data = {
        "name": organization.name,
        "short_name": organization.name[:12],
        "lang": organization.language,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f3f5f6",
        "theme_color": organization.brand_primary,
        "icons": icons,
    }
    return JsonResponse(data, content_type="application/manifest+json")


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)
def icon(request: HttpRequest, color: str, letter: str, size: int) -> HttpResponse:
    """An app icon drawn from a colour and a letter alone, so it names no organization."""
    if not HEX.fullmatch(color) or len(letter) != 1 or not letter.isalnum():
        return HttpResponse(status=404)
    if size not in ICON_SIZES:
        return HttpResponse(status=404)
    return HttpResponse(_icon_png(f"#{color}", letter, size), content_type="image/png")


@lru_cache(maxsize=64)
def _icon_png(color: str, letter: str, size: int) -> bytes:
    """A square in the brand colour with the organization's initial, safe for maskable crops."""
    image = Image.new("RGB", (size, size), color)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size // 2)
    draw.text((size / 2, size / 2), letter, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker lives at the root so that it controls every participant page."""
    # What participant pages load; they need no htmx (app.js swaps answers), so no phone
    # downloads it on install.
    assets = [static(name) for name in ("pocketmentor/app.css", "pocketmentor/app.js")]
    offline_url = reverse("learning:offline")
    # Fingerprinted file names change with their content, and so does this version.
    version = hashlib.sha256(" ".join([*assets, offline_url]).encode()).hexdigest()[:12]
    context = {"assets": assets, "offline_url": offline_url, "version": version}
    response = render(request, "learning/sw.js", context, content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "learning/offline.html")
