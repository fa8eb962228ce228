from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pocketmentor.accounts import two_factor_views, views

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
