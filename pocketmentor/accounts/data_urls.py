"""The signed-in person's own data, under `/me/`."""

from pocketmentor.accounts.data_views import urlpatterns

app_name = "mydata"

__all__ = ["app_name", "urlpatterns"]
