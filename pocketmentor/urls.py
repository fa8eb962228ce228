from django.contrib import admin
from django.urls import include, path, register_converter

from pocketmentor import views
from pocketmentor.accounts import urls as account_urls
from pocketmentor.learning import urls as learning_urls
from pocketmentor.people import urls as people_urls


class Colour:
    """Six lower-case hex digits: an organization's colour without its #."""

    regex = "[0-9a-f]{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value.lstrip("#").lower()


register_converter(Colour, "colour")

urlpatterns = [
    path("", include("pocketmentor.learning.urls")),  # first: the participant's pages
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("studio/", include("pocketmentor.people.urls")),
    path("studio/", include((learning_urls.staff_urlpatterns, "shared"))),
    path("studio/", include("pocketmentor.programs.urls")),
    path("", include("pocketmentor.nudges.urls")),  # studio/…/nudges/ and nudges/preferences/
    path("", include("pocketmentor.insights.urls")),  # studio/…/insights/, xapi/statements
    path("media/<path:name>", views.media, name="media"),
    path("brand/<colour:primary>-<colour:accent>.css", views.brand_css, name="brand_css"),
    path("me/", include("pocketmentor.privacy.urls")),
    path("", include(account_urls.oidc_urlpatterns)),  # OpenID Connect, only when configured
    path("", include("pocketmentor.accounts.urls")),
    path("webauthn/", include((account_urls.passkey_urlpatterns, "otp_webauthn"))),
    path("", include((people_urls.calendar_urlpatterns, "seminars"))),
]

# A database or disk outage answers 503 with a page that says so; anything else, 500.
handler500 = "pocketmentor.views.server_error"
