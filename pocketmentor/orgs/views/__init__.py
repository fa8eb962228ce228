"""Staff pages about people: each module holds its pages and their `urlpatterns`."""
