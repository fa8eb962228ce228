from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.accounts"
    label = "accounts"
