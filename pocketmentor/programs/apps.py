from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.programs"
    label = "programs"
