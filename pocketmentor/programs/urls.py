from django.urls import path

from pocketmentor.programs import views

app_name = "studio"
program = "<slug:org>/p/<slug:program>/"
unit = program + "weeks/<int:number>/"
urlpatterns = [
    path("", views.studio_home, name="home"),
    path("<slug:org>/", views.programs, name="programs"),
    path("<slug:org>/new/", views.program_new, name="program_new"),
    path("<slug:org>/import/", views.program_upload, name="program_upload"),
    path("<slug:org>/card-preview/", views.card_preview, name="card_preview"),
    path(
        "<slug:org>/activity-preview/<slug:kind>/",
        views.activity_preview,
        name="activity_preview",
    ),
    path(program, views.program, name="program"),
    path(program + "settings/", views.program_edit, name="program_edit"),
    path(program + "state/", views.program_state, name="program_state"),
    path(program + "go-live/", views.program_golive, name="program_golive"),
    path(program + "duplicate/", views.program_duplicate, name="program_duplicate"),
    path(program + "export.zip", views.program_export, name="program_export"),
    path(program + "weeks/new/", views.unit_new, name="unit_new"),
    path(unit, views.unit, name="unit"),
    path(unit + "action/", views.unit_action, name="unit_action"),
    path(unit + "recall/", views.recall, name="recall"),
    path(unit + "cards/new/", views.card, name="card_new"),
    path(unit + "cards/<int:card_id>/", views.card, name="card"),
    path(unit + "cards/<int:card_id>/action/", views.card_action, name="card_action"),
    path(unit + "activities/new/", views.activity, name="activity_new"),
    path(unit + "activities/<int:activity_id>/", views.activity, name="activity"),
    path(
        unit + "activities/<int:activity_id>/action/",
        views.activity_action,
        name="activity_action",
    ),
]
