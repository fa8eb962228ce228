from django.urls import path

from pocketmentor.learning import pwa, staff_views, views

app_name = "learning"
urlpatterns = [
    path("", views.home, name="home"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("o/<slug:org>/manifest.webmanifest", pwa.manifest, name="manifest"),
    path("icons/<str:color>/<str:letter>/<int:size>.png", pwa.icon, name="icon"),
    path("o/<slug:org>/<slug:program>/", views.this_week, name="week"),
    path("o/<slug:org>/<slug:program>/week/<int:number>/", views.unit, name="unit"),
    path("o/<slug:org>/<slug:program>/progress/", views.progress, name="progress"),
    path("o/<slug:org>/<slug:program>/reflections/", views.reflections, name="reflections"),
    path("o/<slug:org>/<slug:program>/group/", views.group, name="group"),
    path(
        "o/<slug:org>/<slug:program>/shared/<int:response_id>/react/",
        views.react,
        name="react",
    ),
    path("o/<slug:org>/<slug:program>/supporters/", views.supporters, name="supporters"),
    path(
        "o/<slug:org>/<slug:program>/supporters/<int:supporter_id>/remove/",
        views.supporter_remove_view,
        name="supporter_remove",
    ),
    path("supporting/", views.supporting, name="supporting"),
    path("supporting/<int:response_id>/reply/", views.supporter_reply, name="supporter_reply"),
    path(
        "o/<slug:org>/<slug:program>/activities/<int:activity_id>/",
        views.respond,
        name="respond",
    ),
    path(
        "o/<slug:org>/<slug:program>/recall/<int:question_id>/",
        views.recall,
        name="recall",
    ),
]

# Facilitators' pages, under /studio/ in the namespace "shared".
staff_urlpatterns = [
    path("<slug:org>/p/<slug:program>/shared/", staff_views.shared_feed, name="feed"),
    path(
        "<slug:org>/p/<slug:program>/weeks/<int:number>/preview/",
        staff_views.unit_preview,
        name="preview",
    ),
    path(
        "<slug:org>/p/<slug:program>/shared/<int:response_id>/reply/",
        staff_views.shared_reply,
        name="reply",
    ),
]
