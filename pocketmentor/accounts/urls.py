from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn_views

from pocketmentor.accounts import passkeys, two_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.link, name="link"),
    path("login/new/", views.request_link, name="request_link"),
    path(
        "login/staff/",
        auth_views.LoginView.as_view(template_name="accounts/staff_login.html"),
        name="staff_login",
    ),
    path("login/two-factor/", two_factor_views.verify, name="two_factor_verify"),
    path("account/two-factor/", two_factor_views.overview, name="two_factor"),
    path("account/two-factor/app/", two_factor_views.app_set_up, name="two_factor_app"),
    path("account/two-factor/recovery/", two_factor_views.recovery_codes, name="two_factor_codes"),
    *[
        path(
            f"account/two-factor/{kind}/<int:pk>/remove/",
            two_factor_views.remove,
            {"kind": kind},
            name=f"two_factor_remove_{kind}",
        )
        for kind in ("app", "passkey")
    ],
    path("logout/", views.sign_out, name="logout"),
    path("language/", views.language, name="language"),
]


def _oidc_patterns() -> list:
    """Staff sign-in with OpenID Connect (orgs/oidc.py), only when configured."""
    if not getattr(settings, "OIDC_ENABLED", False):
        return []
    return [path("oidc/", include("mozilla_django_oidc.urls"))]


# Included at the site's root: mozilla-django-oidc reverses its URL names without a namespace.
oidc_urlpatterns = _oidc_patterns()


# Passkeys (passkeys.py): django-otp-webauthn's ceremonies, included at `/webauthn/` under the
# namespace its scripts look for.
passkey_urlpatterns = [
    path(
        "registration/begin/",
        webauthn_views.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        passkeys.RegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        webauthn_views.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        passkeys.AuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
