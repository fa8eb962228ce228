"""A passkey, in real Chromium with its virtual authenticator: made, then used to sign in."""

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from pocketmentor.audit.models import Entry
from pocketmentor.tests.chromium import AXE, PHONE, needs_chromium, ready, serious_violations

pytestmark = needs_chromium
PASSWORD = "a long enough password"  # noqa: S105


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Run on the real clock: the browser keeps cookies and passkey counters by its own."""
    yield


def password_sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login/staff/")
    ready(page)
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn", exact=True).click()


def test_a_passkey_is_made_then_signs_in_as_the_second_factor(
    browser, live_server, transactional_db, settings, org
):
    from pocketmentor.conftest import make_person

    admin = make_person("hr@fjordvik.example", org=org, role="admin")
    admin.set_password(PASSWORD)
    admin.save()
    base = live_server.url  # http://localhost:port: a host name, as passkeys need
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]

    context = browser.new_context(viewport=PHONE, locale="nb-NO")
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )["authenticatorId"]

    password_sign_in(page, base, admin.email)
    page.goto(base + "/account/two-factor/")
    ready(page)
    page.get_by_role("button", name="Legg til en passnøkkel").click()
    status = page.locator("#passkey-register-status-message")
    expect(status).to_contain_text("Passnøkkelen er lagt til")  # the scripts speak Norwegian
    [passkey] = WebAuthnCredential.objects.filter(user=admin)
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    assert Entry.objects.filter(action="two_factor", target="passkey added").count() == 1
    page.reload()
    ready(page)
    expect(page.get_by_text("Passnøkkel 1, lagt til")).to_be_visible()
    if AXE.exists():
        assert serious_violations(page) == []

    # Signing in again: the password is not enough, the passkey is the second step.
    page.get_by_role("button", name="Logg ut").click()
    password_sign_in(page, base, admin.email)
    page.goto(base + "/studio/fjordvik/")
    page.wait_for_url("**/login/two-factor/**")
    ready(page)
    if AXE.exists():
        assert serious_violations(page) == []
    page.get_by_role("button", name="Bruk en passnøkkel").click()
    page.wait_for_url(lambda url: "/login/two-factor/" not in url)
    response = page.goto(base + "/studio/fjordvik/")
    assert response.status == 200 and page.url == base + "/studio/fjordvik/"
    passkey.refresh_from_db()
    assert passkey.sign_count >= 1 or passkey.last_used_at is not None
    context.close()
