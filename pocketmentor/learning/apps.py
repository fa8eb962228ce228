from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.learning"
    label = "learning"
