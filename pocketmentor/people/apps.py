from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.people"
    label = "people"
