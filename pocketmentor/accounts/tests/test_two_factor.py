"""Two-factor sign-in for staff: an authenticator app, recovery codes, the organization's rule."""

import datetime as dt
import re
from base64 import b32decode

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pocketmentor.audit.models import Entry
from pocketmentor.conftest import NOW, signed_in
from pocketmentor.orgs.tests import test_oidc

PASSWORD = "a long enough password"  # noqa: S105
SETUP, VERIFY, OVERVIEW = "/account/two-factor/app/", "/login/two-factor/", "/account/two-factor/"


def code_for(page: str) -> str:
    """The code an authenticator app shows, from the key printed on the set-up page."""
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    return f"{totp(b32decode(secret)):06d}"


def app_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def password_sign_in(user, address="192.0.2.1") -> Client:
    user.set_password(PASSWORD)
    user.save()
    client = Client(REMOTE_ADDR=address)
    response = client.post("/login/staff/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def with_app(admin_user):
    """The admin set up an authenticator app, and was given recovery codes."""
    client = password_sign_in(admin_user)
    page = client.get(SETUP).content.decode()
    response = client.post(SETUP, {"code": code_for(page)})
    codes = re.findall(r"<code>(\d{5} \d{5})</code>", response.content.decode())
    return admin_user, codes


def test_setting_up_an_app_confirms_it_with_a_code_and_gives_recovery_codes(admin_user):
    client = password_sign_in(admin_user)
    page = client.get(SETUP)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert TOTPDevice.objects.filter(user=admin_user, confirmed=False).count() == 1
    response = client.post(SETUP, {"code": code_for(page.content.decode())})
    assert response.status_code == 200
    codes = re.findall(r"<code>(\d{5} \d{5})</code>", response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=admin_user).confirmed
    assert StaticToken.objects.filter(device__user=admin_user).count() == 10
    two = Entry.objects.filter(action="two_factor").get()
    assert (two.person, two.target) == (admin_user, "authenticator app added")


def test_a_wrong_code_at_set_up_says_so_keeps_it_and_confirms_nothing(admin_user):
    client = password_sign_in(admin_user)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Koden stemmer ikke." in page and 'value="000000"' in page
    assert not TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()


def test_signing_in_asks_for_the_code_before_anything_else(with_app):
    admin, _ = with_app
    device = TOTPDevice.objects.get(user=admin)
    with time_machine.travel(NOW + dt.timedelta(minutes=5)) as clock:
        client = password_sign_in(admin)
        response = client.get("/studio/fjordvik/")
        assert response.status_code == 302
        assert response["Location"] == VERIFY + "?next=%2Fstudio%2Ffjordvik%2F"
        assert client.get("/studio/fjordvik/people/").status_code == 302
        page = client.post(VERIFY, {"code": "123456", "next": "/studio/fjordvik/"})
        assert page.status_code == 400 and "Koden stemmer ikke." in page.content.decode()
        clock.shift(dt.timedelta(seconds=2))  # django-otp waits a second after a wrong code
        response = client.post(VERIFY, {"code": app_code(device), "next": "/studio/fjordvik/"})
        assert response["Location"] == "/studio/fjordvik/"
        assert client.get("/studio/fjordvik/").status_code == 200


def test_a_recovery_code_works_once(with_app):
    admin, codes = with_app
    with time_machine.travel(NOW + dt.timedelta(minutes=5)):
        first = password_sign_in(admin)
        assert first.post(VERIFY, {"code": codes[0]}).status_code == 302
        assert first.get("/studio/fjordvik/").status_code == 200
        second = password_sign_in(admin)
        assert second.post(VERIFY, {"code": codes[0]}).status_code == 400
        assert second.get("/studio/fjordvik/").status_code == 302
    assert StaticToken.objects.filter(device__user=admin).count() == 9


def test_each_wrong_code_makes_the_next_try_wait_twice_as_long(with_app):
    admin, codes = with_app
    device = TOTPDevice.objects.get(user=admin)

    def wrong() -> str:
        return f"{(int(app_code(device)) + 500_000) % 10**6:06d}"

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False) as clock:
        client = password_sign_in(admin)
        for n in range(10):  # each try waits out the delay the one before set: 1, 2, 4 s …
            assert client.post(VERIFY, {"code": wrong()}).status_code == 400
            clock.shift(dt.timedelta(seconds=2**n))
        # The eleventh wrong code sets a wait of 2**10 s: until it has passed, the right code
        # and a recovery code are refused too, and trying during it does not start it again.
        assert client.post(VERIFY, {"code": wrong()}).status_code == 400
        clock.shift(dt.timedelta(seconds=2**10 - 1))
        for code in (app_code(device), codes[0]):
            assert client.post(VERIFY, {"code": code}).status_code == 400
        assert client.get("/studio/fjordvik/").status_code == 302
        clock.shift(dt.timedelta(seconds=2))
        assert client.post(VERIFY, {"code": app_code(device)}).status_code == 302
        assert client.get("/studio/fjordvik/").status_code == 200
    assert StaticToken.objects.filter(device__user=admin).count() == 10  # none was spent


def test_removing_the_app_ends_the_second_step(with_app):
    admin, _ = with_app
    device = TOTPDevice.objects.get(user=admin)
    with time_machine.travel(NOW + dt.timedelta(minutes=5)):
        client = password_sign_in(admin)
        assert client.get(OVERVIEW).status_code == 302  # give the code first
        client.post(VERIFY, {"code": app_code(device)})
        response = client.post(f"/account/two-factor/app/{device.pk}/remove/")
        assert response.status_code == 302
    assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()
    assert Entry.objects.filter(action="two_factor", target="app removed").count() == 1
    assert password_sign_in(admin).get("/studio/fjordvik/").status_code == 200


def test_someone_else_cannot_remove_my_app(with_app, facilitator):
    admin, _ = with_app
    device = TOTPDevice.objects.get(user=admin)
    client = signed_in(facilitator)
    assert client.post(f"/account/two-factor/app/{device.pk}/remove/").status_code == 302
    assert client.get(f"/account/two-factor/app/{device.pk}/remove/").status_code == 405
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_organization_can_require_it_of_admins(admin_user, facilitator, org):
    org.require_two_factor = True
    org.save()
    client = password_sign_in(admin_user)
    response = client.get("/studio/fjordvik/")
    assert response["Location"] == OVERVIEW + "?next=%2Fstudio%2Ffjordvik%2F"
    assert client.get("/").status_code == 302  # before anything else
    page = client.get(OVERVIEW).content.decode()
    assert "ber administratorene sine bruke tofaktorinnlogging" in page
    setup = client.get(SETUP).content.decode()
    client.post(SETUP, {"code": code_for(setup)})
    assert client.get("/studio/fjordvik/").status_code == 200
    # Facilitators are not asked.
    assert password_sign_in(facilitator).get("/studio/fjordvik/").status_code == 200


def test_an_admin_signed_in_before_the_rule_is_sent_to_set_up_on_the_next_studio_page(
    admin_user, org
):
    client = signed_in(admin_user)
    assert client.get("/studio/fjordvik/").status_code == 200
    org.require_two_factor = True
    org.save()
    assert client.get("/studio/fjordvik/")["Location"].startswith(OVERVIEW)


oidc_enabled = test_oidc.enabled  # the settings and URLs with OpenID Connect configured


def test_the_organizations_own_account_counts_as_the_second_factor(with_app, org, oidc_enabled):
    admin, _ = with_app
    org.require_two_factor = True
    org.save()
    client = Client()
    client.force_login(admin, backend="pocketmentor.orgs.oidc.StaffOIDCBackend")
    assert client.get("/studio/fjordvik/").status_code == 200


def test_the_pages_need_signing_in_and_the_right_methods(admin_user):
    assert Client().get(OVERVIEW).status_code == 302
    assert Client().get(VERIFY).status_code == 302
    client = signed_in(admin_user)
    assert client.get("/account/two-factor/recovery/").status_code == 405
    assert client.delete(OVERVIEW).status_code == 405
    assert client.get(VERIFY)["Location"] == "/"  # nothing to give


def test_the_pages_speak_english_to_english_staff(admin_user):
    admin_user.language = "en"
    admin_user.save()
    page = signed_in(admin_user).get(OVERVIEW).content.decode()
    assert "Add an authenticator app" in page and "Add a passkey" in page
