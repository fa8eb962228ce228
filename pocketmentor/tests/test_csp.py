"""The Content-Security-Policy: the header, and templates that keep to it (no inline script,
style or handler), checked without a browser so that a regression fails fast.

test_csp_browser.py shows that Chromium reports no violation on every kind of page.
"""

import re
from pathlib import Path

import pytest
from django.test import Client

from pocketmentor.tests.test_env import run_python

PACKAGE = Path(__file__).resolve().parents[1]
# E-mails are read by mail programs, not under the site's policy, and need inline styles.
TEMPLATES = sorted(
    path
    for path in PACKAGE.rglob("templates/**/*.html")
    if "email" not in path.relative_to(PACKAGE).parts
)

TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)
CHECKS = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> without a nonce": re.compile(r"^<style\b(?![^>]*\bnonce=)", re.I),
    "inline <script>": re.compile(
        r"^<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")", re.I
    ),
    "on… handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on handler": re.compile(r"\s(hx|data-hx)-on", re.I),
    "javascript: address": re.compile(r"=\s*[\"']?\s*javascript:", re.I),
}


def breaches(html: str) -> list[str]:
    """What in this template the policy would block: one line per tag."""
    found = []
    for tag in TAG.findall(html):
        found += [f"{name}: {tag[:80]}" for name, check in CHECKS.items() if check.search(tag)]
    return found


def test_there_are_templates_to_check():
    names = {path.name for path in TEMPLATES}
    assert {"base.html", "participant.html", "studio.html", "preferences.html"} <= names
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize(
    "html",
    [
        '<p style="color:red">',
        "<div class=x\n  STYLE='width:3%'>",
        "<style>:root{--brand:#000}</style>",
        "<script>alert(1)</script>",
        '<script type="module">import "x"</script>',
        '<button onclick="go()">',
        '<form method="post" onsubmit="return check()">',
        '<button hx-on:click="go()">',
        '<a href="javascript:void(0)">',
    ],
)
def test_the_check_finds_what_the_policy_blocks(html):
    assert breaches(html)


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/static/pocketmentor/app.js" defer></script>',
        '<script id="pm-text" type="application/json">{"a": 1}</script>',
        '<style nonce="{{ request.csp_nonce }}">',
        '<a class="button" href="/o/demo/" data-style="x">on the way</a>',
        '<svg width="10"><rect class="chart-bar" width="4" height="8"></rect></svg>',
    ],
)
def test_the_check_lets_through_what_the_policy_allows(html):
    assert breaches(html) == []


def test_no_template_has_inline_script_style_or_handlers():
    found = {
        str(path.relative_to(PACKAGE)): problems
        for path in TEMPLATES
        if (problems := breaches(path.read_text()))
    }
    assert found == {}


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_every_page_has_the_strict_policy():
    response = Client().get("/login/new/")
    policy = directives(response["Content-Security-Policy"])
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data: https:",
        "media-src": "'self' https:",
        "font-src": "'self'",
        "frame-src": "https://www.youtube-nocookie.com https://player.vimeo.com",
        "connect-src": "'self'",
        "worker-src": "'self'",
        "manifest-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    assert "unsafe" not in response["Content-Security-Policy"]


def test_a_kept_participant_page_carries_no_nonce_and_links_its_colours(ann, program):
    client = Client()
    client.force_login(ann)
    for _ in range(2):  # rendered, then served as the kept page
        response = client.get("/o/fjordvik/lead/")
        assert response.status_code == 200
        assert "nonce" not in response["Content-Security-Policy"]
        page = response.content.decode()
        assert "nonce=" not in page and "<style" not in page
    org = program.organization
    stylesheet = f"/brand/{org.brand_primary[1:]}-{org.brand_accent[1:]}.css"
    assert f'<link rel="stylesheet" href="{stylesheet}">' in page
    css = Client().get(stylesheet)
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert css["Cache-Control"] == "public, max-age=31536000, immutable"
    assert css.content.decode() == (
        f":root{{--brand:{org.brand_primary};--accent:{org.brand_accent}}}\n"
    )


@pytest.mark.parametrize(
    "path", ["/brand/0b5d6b.css", "/brand/0B5D6B-b4461e.css", "/brand/0b5d6b-b4461e;x.css"]
)
def test_a_colour_stylesheet_takes_only_two_colours(path):
    assert Client().get(path).status_code == 404


def test_the_readable_data_export_styles_itself_with_the_answers_nonce(ann, program):
    client = Client()
    client.force_login(ann)
    response = client.get("/me/data/export.html")
    assert response.status_code == 200
    [nonce] = re.findall(r'<style nonce="([^"]+)">', response.content.decode())
    assert len(nonce) >= 16
    assert directives(response["Content-Security-Policy"])["style-src"] == (
        f"'self' 'nonce-{nonce}'"
    )
    again = client.get("/me/data/export.html").content.decode()
    assert f'nonce="{nonce}"' not in again  # a new one for every answer


def test_uploaded_files_keep_their_own_sandbox_policy(ann, program, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    response = Client().get("/media/picture.png")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_htmx_is_told_to_add_no_style_and_run_no_script():
    base = (PACKAGE / "templates" / "base.html").read_text()
    [config] = re.findall(r"<meta name=\"htmx-config\" content='([^']+)'>", base)
    assert '"includeIndicatorStyles":false' in config  # its indicator's inline <style>
    assert '"allowEval":false' in config and '"allowScriptTags":false' in config


def test_a_public_bucket_is_allowed_for_images_and_captions(tmp_path):
    environment = {
        "DATA_DIR": str(tmp_path),
        "S3_BUCKET": "pocketmentor",
        "S3_PUBLIC_URL": "http://media.example.net:9000/pm/",  # plain http, as on a laptop
    }
    done = run_python("from csp.utils import build_policy; print(build_policy())", environment)
    assert done.returncode == 0, done.stderr
    policy = directives(done.stdout.strip())
    assert policy["img-src"] == "'self' data: https: http://media.example.net:9000"
    assert policy["media-src"] == "'self' https: http://media.example.net:9000"
    assert policy["default-src"] == "'self'"
