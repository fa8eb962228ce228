"""Both ends of the backup test (test_backup.py), each run in a process of its own.

`seed` fills an installation and prints, as JSON, what was already sent out before the backup:
a sign-in link, an unsubscribe link, a phone's push subscription (with the phone's own keys)
and an image's address. `check` takes that JSON on standard input, in the restored
installation, and prints what each of them does there.
"""

import base64
import json
import sys
from urllib.parse import urlsplit

import django


def seed() -> dict:
    from cryptography.hazmat.primitives import serialization
    from django.conf import settings
    from PIL import Image

    from pocketmentor.accounts.services import login_link_url
    from pocketmentor.conftest import answer, enroll, make_person, make_program
    from pocketmentor.nudges.models import PushSubscription
    from pocketmentor.nudges.preferences import unsubscribe_url
    from pocketmentor.nudges.tests.conftest import Browser
    from pocketmentor.orgs.models import Organization
    from pocketmentor.programs import media

    org = Organization.objects.create(name="Fjordvik kommune", slug="fjordvik", language="nb")
    program = make_program(org)
    ann = make_person("ann@fjordvik.example", org=org, role="participant")
    enrollment = enroll(ann, program)
    reflection = program.units.get(number=1).activities.get(kind="reflection")
    answer(enrollment, reflection, text="I asked my team what slows them down.")
    phone = Browser(f"{settings.PUSH_SERVICES[0].removesuffix('*')}push/anns-phone")
    PushSubscription.objects.create(
        person=ann,
        endpoint=phone.subscription["endpoint"],
        p256dh=phone.subscription["keys"]["p256dh"],
        auth=phone.subscription["keys"]["auth"],
    )
    image = media.image_store(Image.new("RGB", (40, 30), "#0b5d6b"))
    return {
        "sign_in": _local(login_link_url(user=ann)),
        "unsubscribe": _local(unsubscribe_url(ann)),
        "image": image,
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        "phone_key": phone.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "phone_auth": base64.b64encode(phone.auth).decode(),
    }


def check(sent: dict) -> dict:
    from django.conf import settings
    from django.test import Client
    from py_vapid import Vapid
    from pywebpush import webpush

    from pocketmentor.nudges.models import Preference, PushSubscription

    person = Client()
    token = sent["sign_in"].split("t=")[1]
    confirm = person.get(sent["sign_in"])
    signed_in = person.post("/login/", {"t": token})
    reflections = person.get("/o/fjordvik/lead/reflections/")
    reader = Client()
    unsubscribe = reader.post(sent["unsubscribe"])
    subscription = PushSubscription.objects.get()
    webpush(
        subscription.info,
        json.dumps({"title": "Week 2 is open"}),
        vapid_private_key=Vapid.from_string(private_key=settings.VAPID_PRIVATE_KEY),
        vapid_claims={"sub": "mailto:ops@fjordvik.example"},
        timeout=10,
    )
    image = Client().get(sent["image"])
    return {
        "confirm": confirm.status_code,
        "signed_in": signed_in.status_code,
        "reflection_shown": "I asked my team what slows them down." in reflections.content.decode(),
        "unsubscribe": unsubscribe.status_code,
        "messages_off": not Preference.objects.get(person__email="ann@fjordvik.example").enabled,
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        "image": image.status_code,
        "image_bytes": len(b"".join(image.streaming_content)) if image.status_code == 200 else 0,
    }


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


if __name__ == "__main__":
    django.setup()
    if sys.argv[1] == "seed":
        print(json.dumps(seed()))
    else:
        print(json.dumps(check(json.load(sys.stdin))))
