"""Web Push against a push service on loopback: subscribe, receive, expire."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from pocketmentor.nudges.models import Delivery, Nudge, Preference, PushSubscription
from pocketmentor.nudges.preferences import preference_token
from pocketmentor.nudges.tests.conftest import Browser, at, local


def subscribe(person, push_service, name="phone") -> Browser:
    browser = Browser(f"{push_service.url}/push/{name}")
    PushSubscription.objects.create(
        person=person,
        endpoint=browser.subscription["endpoint"],
        p256dh=browser.subscription["keys"]["p256dh"],
        auth=browser.subscription["keys"]["auth"],
    )
    return browser


def test_a_signed_in_participant_subscribes_from_the_preferences_page(ann, push_service):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    page = client.get(f"/nudges/preferences/{preference_token(ann)}/")
    assert b'id="push-on"' in page.content and push_service.url not in page.content.decode()
    csrf = client.cookies["csrftoken"].value
    browser = Browser(f"{push_service.url}/push/abc")
    body = json.dumps(browser.subscription)
    assert (
        client.post("/nudges/push/subscribe/", body, content_type="application/json").status_code
        == 403
    )
    response = client.post(
        "/nudges/push/subscribe/",
        body,
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201
    subscription = PushSubscription.objects.get()
    assert subscription.person == ann and subscription.endpoint.endswith("/push/abc")
    assert Preference.objects.get(person=ann).push


def test_only_push_services_may_be_subscribed_and_only_when_signed_in(ann, push_service):
    client = Client()
    browser = Browser("https://evil.example/collect")
    body = json.dumps(browser.subscription)
    assert (
        client.post("/nudges/push/subscribe/", body, content_type="application/json").status_code
        == 403
    )
    client.force_login(ann)
    assert (
        client.post("/nudges/push/subscribe/", body, content_type="application/json").status_code
        == 400
    )
    assert (
        client.post("/nudges/push/subscribe/", "{", content_type="application/json").status_code
        == 400
    )
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("keys", ["abc", [1], None, {"p256dh": 1, "auth": "a"}])
def test_keys_that_are_not_an_object_of_strings_are_400(ann, push_service, keys):
    client = Client()
    client.force_login(ann)
    body = Browser(f"{push_service.url}/push/abc").subscription | {"keys": keys}
    response = client.post("/nudges/push/subscribe/", body, content_type="application/json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("body", [{"endpoint": {"a": 1}}, {"endpoint": [1]}, [1], "x", {}])
def test_an_unsubscribe_without_an_endpoint_string_is_400(ann, body):
    client = Client()
    client.force_login(ann)
    response = client.post("/nudges/push/unsubscribe/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/nudges/push/subscribe/", "/nudges/push/unsubscribe/"])
def test_a_form_posted_instead_of_json_is_400(ann, path):
    client = Client()
    client.force_login(ann)
    assert client.post(path, {"endpoint": "https://push.example/a"}).status_code == 400
    form = "endpoint=https%3A%2F%2Fpush.example%2Fa"
    urlencoded = client.post(path, form, content_type="application/x-www-form-urlencoded")
    assert urlencoded.status_code == 400


def test_the_release_reaches_the_phone_as_well_as_the_inbox(
    ann, program, inbox, push_service, worker
):
    browser = subscribe(ann, push_service)
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    [request] = push_service.requests
    assert request["path"] == "/push/phone"
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["ttl"] == "86400" and len(headers["topic"]) == 32
    assert headers["authorization"].startswith("vapid t=")
    payload = browser.read(request["body"])
    assert payload["title"] == "Leading"
    assert payload["body"] == "Uke 4 er åpen: Week 4 challenge"
    assert payload["url"] == "http://127.0.0.1:8000/o/fjordvik/lead/"
    assert len(inbox.messages) == 1
    assert Nudge.objects.get().channels == "email,push"


def test_an_expired_subscription_is_removed_and_the_email_still_goes(
    ann, program, inbox, push_service, worker
):
    subscribe(ann, push_service)
    push_service.statuses = [410]
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    assert not PushSubscription.objects.exists()
    assert len(inbox.messages) == 1
    assert Nudge.objects.get().channels == "email"


def test_push_only_with_an_expired_subscription_is_not_needed(ann, program, push_service, worker):
    Preference.objects.create(person=ann, email=False)
    subscribe(ann, push_service)
    push_service.statuses = [404]
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    nudge = Nudge.objects.get()
    assert (nudge.state, nudge.error) == ("skipped", "no_channel")


def test_a_failing_push_service_is_retried_without_sending_the_email_twice(
    ann, program, inbox, push_service, worker
):
    subscribe(ann, push_service)
    push_service.statuses = [503]
    with at(local(2026, 3, 23, 7, 30, 5)):
        worker.run_until_idle()
    nudge = Nudge.objects.get()
    assert (nudge.state, nudge.attempts) == ("pending", 1)
    with at(local(2026, 3, 23, 7, 31, 10)):
        worker.run_until_idle()
    nudge.refresh_from_db()
    assert (nudge.state, nudge.channels) == ("sent", "email,push")
    assert len(inbox.messages) == 1 and len(push_service.requests) == 2
    # The e-mail that went the first time is remembered, so the retry sends the push only.
    assert list(Delivery.objects.values_list("channel", "ok")) == [("email", True), ("push", False)]


def test_the_vapid_command_makes_keys_once(settings, tmp_path, capsys):
    settings.DATA_DIR, settings.VAPID_PRIVATE_KEY = tmp_path, ""
    call_command("nudges", "vapid")
    keys = json.loads((tmp_path / "vapid.json").read_text())
    assert len(keys["public_key"]) == 87 and len(keys["private_key"]) == 43
    assert f"VAPID_PUBLIC_KEY={keys['public_key']}" in capsys.readouterr().out
    with pytest.raises(Exception, match="exist already"):
        call_command("nudges", "vapid")
