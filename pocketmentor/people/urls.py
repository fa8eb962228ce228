"""The people pages under /studio/ (namespace "people"), and a seminar's calendar file."""

from django.urls import path

from pocketmentor.people.views import audit, groups, people, privacy

app_name = "people"

person = "<slug:org>/people/<int:membership_id>/"
data = "<slug:org>/people/<int:user_id>/data/"
group = "<slug:org>/p/<slug:program>/groups/"
seminar = "<slug:org>/p/<slug:program>/seminars/"
urlpatterns = [
    path("<slug:org>/people/", people.people_list, name="list"),
    path(person + "invite/", people.person_invite, name="invite"),
    path(person + "deactivate/", people.person_deactivate, name="deactivate"),
    path(person + "reactivate/", people.person_reactivate, name="reactivate"),
    path("<slug:org>/p/<slug:program>/people/import/", people.people_import, name="import"),
    path(
        "<slug:org>/p/<slug:program>/people/import/template.<str:fmt>",
        people.people_import_template,
        name="import_template",
    ),
    path("<slug:org>/p/<slug:program>/people/invite/", people.people_invite, name="invite_program"),
    path(
        "<slug:org>/p/<slug:program>/people/import/<uuid:job_id>/",
        people.people_import_job,
        name="import_job",
    ),
    path(
        "<slug:org>/p/<slug:program>/people/import/confirm/",
        people.people_import_confirm,
        name="import_confirm",
    ),
    path(group, groups.groups, name="groups"),
    path(group + "new/", groups.group_new, name="group_new"),
    path(group + "move/", groups.groups_move, name="groups_move"),
    path(group + "split/", groups.groups_split, name="groups_split"),
    path(group + "<int:group_id>/", groups.group_edit, name="group_edit"),
    path(group + "<int:group_id>/delete/", groups.group_delete, name="group_delete"),
    path(seminar, groups.seminars, name="seminars"),
    path(seminar + "new/", groups.seminar_new, name="seminar_new"),
    path(seminar + "<int:seminar_id>/", groups.seminar_edit, name="seminar_edit"),
    path(seminar + "<int:seminar_id>/delete/", groups.seminar_delete, name="seminar_delete"),
    path(data, privacy.person_data, name="person_data"),
    path(data + "export.<export_format:fmt>", privacy.person_export, name="person_export"),
    path(data + "erase/", privacy.person_erase, name="person_erase"),
    path("<slug:org>/audit/", audit.audit_log, name="audit"),
    path("<slug:org>/audit/export.csv", audit.audit_export, name="audit_export"),
]

# For participants, included at the site's root in the namespace "seminars".
calendar_urlpatterns = [
    path(
        "o/<slug:org>/<slug:program>/seminars/<int:seminar_id>.ics",
        groups.seminar_calendar,
        name="calendar",
    ),
]
