"""Staff sign-in with the organization's accounts: off unless configured; when on, only
existing admins and facilitators are matched by e-mail, and nobody is created. No network."""

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import SuspiciousOperation
from django.test import Client
from django.urls import NoReverseMatch, include, path, reverse

from pocketmentor import urls as project_urls
from pocketmentor.accounts import urls as account_urls
from pocketmentor.conftest import make_person
from pocketmentor.orgs.models import Organization
from pocketmentor.orgs.oidc import StaffOIDCBackend

BACKEND = "pocketmentor.orgs.oidc.StaffOIDCBackend"
ENDPOINTS = {
    "OIDC_RP_CLIENT_ID": "pocketmentor",
    "OIDC_RP_CLIENT_SECRET": "not-a-secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://id.example/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://id.example/token",
    "OIDC_OP_USER_ENDPOINT": "https://id.example/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://id.example/jwks",
}

# The site's URLs as they are when OpenID Connect is configured (see `enabled`).
urlpatterns = [path("oidc/", include("mozilla_django_oidc.urls")), *project_urls.urlpatterns]


@pytest.fixture
def enabled(settings):
    for name, value in ENDPOINTS.items():
        setattr(settings, name, value)
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_CREATE_USER = False
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    settings.ROOT_URLCONF = __name__
    return settings


@pytest.fixture
def backend(enabled):
    return StaffOIDCBackend()


# Off by default -----------------------------------------------------------------------------


def test_off_by_default_no_urls_no_backend_no_button(db):
    assert not django_settings.OIDC_ENABLED
    assert BACKEND not in django_settings.AUTHENTICATION_BACKENDS
    assert account_urls.oidc_urlpatterns == []
    with pytest.raises(NoReverseMatch):
        reverse("oidc_authentication_init")
    assert Client().get("/oidc/authenticate/").status_code == 404
    page = Client().get("/login/staff/").content.decode()
    assert "/oidc/" not in page


# On, in the settings and the pages --------------------------------------------------------


def test_the_url_patterns_appear_once_configured(enabled):
    assert [p.pattern.describe() for p in account_urls._oidc_patterns()] == ["'oidc/'"]


def test_the_staff_sign_in_page_offers_the_organizations_account(enabled, db):
    page = Client().get("/login/staff/?next=/studio/").content.decode()
    assert 'href="/oidc/authenticate/?next=/studio/"' in page
    failed = Client().get("/login/staff/?oidc=failed").content.decode()
    assert 'role="alert"' in failed


def test_signing_in_goes_to_the_provider(enabled, db):
    response = Client().get("/oidc/authenticate/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (
        f"{target.scheme}://{target.netloc}{target.path}"
        == ENDPOINTS["OIDC_OP_AUTHORIZATION_ENDPOINT"]
    )
    query = parse_qs(target.query)
    assert query["client_id"] == ["pocketmentor"] and "email" in query["scope"][0]


def run_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.OIDC_ENABLED, s.OIDC_CREATE_USER, s.OIDC_RP_SIGN_ALGO, "
        "s.AUTHENTICATION_BACKENDS[-1], 'mozilla_django_oidc' in s.INSTALLED_APPS)"
    )
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("OIDC_") and k != "DATABASE_URL"
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "pocketmentor.settings", "DATA_DIR": str(tmp_path)}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=environment | env, capture_output=True, text=True
    )


def test_settings_turn_on_with_the_environment(tmp_path):
    result = run_settings(tmp_path, **ENDPOINTS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "RS256", BACKEND, "True"]


def test_settings_name_what_is_missing(tmp_path):
    partial = {k: v for k, v in ENDPOINTS.items() if k != "OIDC_OP_JWKS_ENDPOINT"}
    result = run_settings(tmp_path, **partial)
    assert result.returncode != 0
    assert "OIDC_OP_JWKS_ENDPOINT" in result.stderr


# The backend's matching rules ---------------------------------------------------------------


def test_admins_and_facilitators_are_matched_by_e_mail(backend, admin_user, facilitator):
    assert list(backend.filter_users_by_claims({"email": "HR@Fjordvik.example"})) == [admin_user]
    assert list(backend.filter_users_by_claims({"email": " coach@partner.example "})) == [
        facilitator
    ]


def test_a_facilitator_of_two_organizations_is_matched_once(backend, facilitator):
    other = Organization.objects.create(name="Other AS", slug="other")
    facilitator.memberships.create(organization=other, role="facilitator")
    assert list(backend.filter_users_by_claims({"email": facilitator.email})) == [facilitator]


def test_participants_strangers_and_the_inactive_are_not_matched(backend, ann, admin_user):
    assert not backend.filter_users_by_claims({"email": ann.email}).exists()
    assert not backend.filter_users_by_claims({"email": "nobody@fjordvik.example"}).exists()
    assert not backend.filter_users_by_claims({}).exists()
    admin_user.is_active = False
    admin_user.save()
    assert not backend.filter_users_by_claims({"email": admin_user.email}).exists()
    assert backend.get_user(admin_user.pk) is None


def test_claims_need_an_e_mail_the_provider_has_not_disowned(backend):
    assert backend.verify_claims({"email": "hr@fjordvik.example"})
    assert backend.verify_claims({"email": "hr@fjordvik.example", "email_verified": True})
    assert not backend.verify_claims({"email": "hr@fjordvik.example", "email_verified": False})
    assert not backend.verify_claims({"email": "hr@fjordvik.example", "email_verified": "false"})
    assert not backend.verify_claims({"email": ""})
    assert not backend.verify_claims({"sub": "123"})


def test_nobody_is_ever_created(backend, org):
    with pytest.raises(SuspiciousOperation):
        backend.create_user({"email": "new@fjordvik.example"})
    staff = make_person("boss@fjordvik.example", org=org, role="admin")
    assert backend.update_user(staff, {"email": staff.email, "name": "Other Name"}).name == "Boss"
