"""Headers that keep one person's pages theirs, and what browsers may use (docs/privacy.md)."""

import pytest
from django.test import Client

from pocketmentor.accounts.models import Session
from pocketmentor.accounts.services import person_deactivate
from pocketmentor.conftest import signed_in, week_url
from pocketmentor.middleware import PERSON_HEADER


@pytest.mark.parametrize("page", ["", "week/1/", "progress/", "reflections/"])
def test_participant_pages_are_private_to_caches_also_when_kept(ann, program, page):
    client = signed_in(ann)
    for _ in range(2):  # rendered, then served as kept (learning/pages.py)
        response = client.get(week_url(program, page))
        assert response.status_code == 200
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]  # nor kept by the phone's browser
        assert "camera=()" in response["Permissions-Policy"]


def test_staff_pages_are_private_and_not_stored(admin_user):
    response = signed_in(admin_user).get("/studio/")
    assert response.status_code in (200, 302)
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_every_page_names_its_session_to_the_phone_and_nothing_more(ann, bob, program):
    client = signed_in(ann)
    names = {client.get(week_url(program, page))[PERSON_HEADER] for page in ["", "", "progress/"]}
    assert len(names) == 1  # rendered, kept and other pages: one session, one name
    name = names.pop()
    assert len(name) == 24 and name != "none"
    assert name != client.session.session_key
    assert client.get("/me/")[PERSON_HEADER] == name  # pages the worker does not keep say it too
    # Another person, and the same person signed in again elsewhere, are other sessions.
    assert signed_in(bob).get(week_url(program))[PERSON_HEADER] != name
    assert signed_in(ann).get(week_url(program))[PERSON_HEADER] != name


def test_pages_say_when_nobody_is_signed_in(ann, program):
    assert Client().get("/login/")[PERSON_HEADER] == "none"
    client = signed_in(ann)
    client.post("/logout/")
    assert client.get("/login/")[PERSON_HEADER] == "none"


@pytest.mark.parametrize("ending", ["session deleted", "person deactivated"])
def test_a_session_ended_on_the_server_is_named_no_more(ann, program, ending):
    client = signed_in(ann)
    assert client.get(week_url(program))[PERSON_HEADER] != "none"
    if ending == "session deleted":
        Session.objects.filter(user_id=ann.pk).delete()
    else:
        person_deactivate(user_ids=[ann.pk])
    response = client.get(week_url(program))
    assert response.status_code == 302 and response[PERSON_HEADER] == "none"
    assert client.get(response["Location"])[PERSON_HEADER] == "none"


def test_files_the_same_for_everyone_name_nobody(ann, program):
    response = signed_in(ann).get("/o/fjordvik/manifest.webmanifest")
    assert "public" in response["Cache-Control"] and PERSON_HEADER not in response


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
