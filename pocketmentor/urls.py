from django.contrib import admin
from django.urls import include, path

from pocketmentor import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("studio/", include("pocketmentor.orgs.urls")),
    path("studio/", include("pocketmentor.learning.staff_views")),
    path("studio/", include("pocketmentor.programs.urls")),
    path("media/<path:name>", views.media, name="media"),
    path("me/", include("pocketmentor.accounts.data_urls")),
    path("", include("pocketmentor.accounts.urls")),
    path("", include("pocketmentor.learning.urls")),
]
