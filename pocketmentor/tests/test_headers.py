"""Headers that keep one person's pages theirs, and what browsers may use (docs/privacy.md)."""

import pytest
from django.test import Client

from pocketmentor.conftest import signed_in, week_url


@pytest.mark.parametrize("page", ["", "week/1/", "progress/", "reflections/"])
def test_participant_pages_are_private_to_caches_also_when_kept(ann, program, page):
    client = signed_in(ann)
    for _ in range(2):  # rendered, then served as kept (learning/pages.py)
        response = client.get(week_url(program, page))
        assert response.status_code == 200
        assert "private" in response["Cache-Control"]
        assert "camera=()" in response["Permissions-Policy"]


def test_public_files_keep_their_own_caching(db):
    response = Client().get("/sw.js")
    assert "private" not in response.get("Cache-Control", "")
    assert "Permissions-Policy" in response


def test_signing_out_clears_the_sites_cache_and_storage_on_the_phone(ann):
    client = signed_in(ann)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "_auth_user_id" not in client.session
