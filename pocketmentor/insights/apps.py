from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.insights"
    label = "insights"
