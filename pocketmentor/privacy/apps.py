from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.privacy"
    label = "privacy"
