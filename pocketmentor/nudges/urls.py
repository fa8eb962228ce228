from django.urls import path

from pocketmentor.nudges import views

app_name = "nudges"
urlpatterns = [
    path("nudges/preferences/", views.my_preferences, name="mine"),
    path("nudges/preferences/<str:token>/", views.preferences, name="preferences"),
    path("nudges/unsubscribe/<str:token>/", views.one_click_unsubscribe, name="unsubscribe"),
    path("nudges/push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("nudges/push/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("studio/<slug:org>/nudges/", views.organization_page, name="organization"),
    path("studio/<slug:org>/nudges/rules/", views.organization_rules, name="organization_rules"),
    path("studio/<slug:org>/p/<slug:program>/nudges/", views.program_page, name="program"),
    path(
        "studio/<slug:org>/p/<slug:program>/nudges/rules/",
        views.program_rules,
        name="program_rules",
    ),
]
