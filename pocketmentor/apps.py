from django.apps import AppConfig


class PocketmentorConfig(AppConfig):
    """The project itself: its commands, templates and checks."""

    name = "pocketmentor"

    def ready(self):
        from pocketmentor import checks  # noqa: F401 - registers the checks
