from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.orgs"
    label = "orgs"
