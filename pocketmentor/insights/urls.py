from django.urls import path

from pocketmentor.insights import api, views

app_name = "insights"
program = "studio/<slug:org>/p/<slug:program>/insights/"
urlpatterns = [
    path(program, views.dashboard, name="dashboard"),
    path(program + "print/", views.printable, name="print"),
    path(program + "brief/", views.seminar_brief, name="brief"),
    path(program + "counting/", views.counting, name="counting"),
    path(program + "remind/<int:enrollment_id>/", views.remind, name="remind"),
    path(program + "remind/", views.remind_many, name="remind_many"),
    path(program + "remind/done/<str:key>/", views.remind_done, name="remind_done"),
    path(program + "export/<slug:table>.<slug:fmt>", views.export, name="export"),
    path(program + "export/<uuid:export_id>/", views.export_file, name="export_file"),
    path(
        program + "export/<uuid:export_id>/download/",
        views.export_file_download,
        name="export_file_download",
    ),
    path("o/<slug:org>/<slug:program>/week/<int:number>/read/", views.cards_read, name="read"),
    path("xapi/statements", api.statements, name="statements"),
    path("xapi/about", api.about, name="about"),
    path("xapi/openapi.yaml", api.openapi, name="openapi"),
]
