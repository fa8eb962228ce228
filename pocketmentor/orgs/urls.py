from django.urls import path

from pocketmentor.orgs.views import audit, groups, people, privacy

app_name = "people"
urlpatterns = (
    people.urlpatterns
    + groups.urlpatterns
    + privacy.urlpatterns
    + [
        path("<slug:org>/audit/", audit.audit_log, name="audit"),
        path("<slug:org>/audit/export.csv", audit.audit_export, name="audit_export"),
    ]
)
