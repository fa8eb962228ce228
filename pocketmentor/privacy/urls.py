"""The signed-in person's own data, under `/me/`."""

from django.urls import path

from pocketmentor.privacy import views

app_name = "mydata"
urlpatterns = [
    path("data/", views.overview, name="overview"),
    path("data/export.<export_format:fmt>", views.export, name="export"),
    path("data/erase/", views.erase, name="erase"),
]
