from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.people"
    label = "people"

    def ready(self):
        import pocketmentor.people.jobs  # noqa: F401 - its periodic jobs, for the worker
