from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.nudges"
    label = "nudges"
