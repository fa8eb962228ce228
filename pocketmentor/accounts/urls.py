from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pocketmentor.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.link, name="link"),
    path("login/new/", views.request_link, name="request_link"),
    path(
        "login/staff/",
        auth_views.LoginView.as_view(template_name="accounts/staff_login.html"),
        name="staff_login",
    ),
    path("logout/", views.sign_out, name="logout"),
    path("language/", views.language, name="language"),
]


def _oidc_patterns() -> list:
    """Staff sign-in with OpenID Connect (accounts/oidc.py), only when configured."""
    if not getattr(settings, "OIDC_ENABLED", False):
        return []
    return [path("oidc/", include("mozilla_django_oidc.urls"))]


# Included at the site's root: mozilla-django-oidc reverses its URL names without a namespace.
oidc_urlpatterns = _oidc_patterns()
