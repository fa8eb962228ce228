"""Zero bytes and text that is not UTF-8 are answered 400 before any view reads them."""

import pytest
from django.test import Client

from pocketmentor.accounts.models import User
from pocketmentor.conftest import signed_in, week_url
from pocketmentor.nudges.models import PushSubscription


def test_a_zero_byte_in_the_people_search_is_400_and_a_plain_search_works(admin_user, ann):
    client = signed_in(admin_user)
    assert client.get("/studio/fjordvik/people/?q=ann").status_code == 200
    response = client.get("/studio/fjordvik/people/?q=a%00n")
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["q=%ff%fe", "q%00=1", "page=1&q=%c3%28", "q=a+%00"],
)
def test_bad_bytes_anywhere_in_the_query_string_are_400(admin_user, query):
    response = signed_in(admin_user).get(f"/studio/fjordvik/people/?{query}")
    assert response.status_code == 400


def test_bad_bytes_in_the_path_are_400(db):
    assert Client().get("/o/fjordvik/lead%00/").status_code == 400
    assert Client().get("/o/fjordvik/%ff/").status_code == 400


@pytest.mark.parametrize("header", ["User-Agent", "Accept-Language", "HX-Request", "Referer"])
def test_a_zero_byte_in_a_header_is_400(db, header):
    response = Client(headers={header: "a\x00b"}).get("/login/new/")
    assert response.status_code == 400


def test_a_header_of_bytes_that_are_not_utf8_is_400(db):
    # A WSGI server hands header bytes over as latin-1: "\xff" is the byte 0xff.
    assert Client(headers={"User-Agent": "\xff\xfe"}).get("/login/new/").status_code == 400
    assert Client(headers={"User-Agent": "Å".encode().decode("latin-1")}).get(
        "/login/new/"
    ).status_code in (200, 302)


def test_a_zero_byte_in_a_posted_form_is_400_and_changes_nothing(ann, program):
    client = signed_in(ann)
    before = ann.name
    response = client.post(
        "/me/", "name=Ann%00Evil", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    multipart = client.post(week_url(program, "supporters/"), {"name": "A\x00", "email": "x@y.no"})
    assert multipart.status_code == 400
    assert User.objects.get(pk=ann.pk).name == before


def test_an_xapi_client_gets_its_own_error_shape(db):
    response = Client(headers={"X-Experience-API-Version": "1.0.3"}).get(
        "/xapi/statements?verb=%00"
    )
    assert response.status_code == 400
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        '{"endpoint": "https://push.example/a\\u0000", "keys": {"p256dh": "k", "auth": "a"}}',
        '{"endpoint": "https://push.example/a", "keys": {"p256dh": "\\\\\\u0000", "auth": "a"}}',
        b'{"endpoint": "https://push.example/\xff"}',
    ],
)
def test_a_zero_or_bytes_not_utf8_in_a_json_body_are_400_before_the_view(ann, body):
    client = signed_in(ann)
    for path in ("/nudges/push/subscribe/", "/nudges/push/unsubscribe/"):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")  # the middleware's answer
    assert not PushSubscription.objects.exists()


def test_an_escaped_backslash_before_u0000_is_text_not_a_zero(ann):
    body = '{"endpoint": "https://push.example/a\\\\u0000"}'  # the text \u0000, six characters
    response = signed_in(ann).post(
        "/nudges/push/unsubscribe/", body, content_type="application/json"
    )
    assert response.status_code == 200 and response.json() == {"ok": True}  # the view answered
