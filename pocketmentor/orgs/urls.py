from pocketmentor.orgs.views import groups, people, privacy

app_name = "people"
urlpatterns = people.urlpatterns + groups.urlpatterns + privacy.urlpatterns
