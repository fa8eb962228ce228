from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.insights"
    label = "insights"

    def ready(self):
        # What this app keeps about a person, for the privacy package's export and erasure.
        import pocketmentor.insights.jobs  # noqa: F401 - its periodic jobs, for the worker
        import pocketmentor.insights.receivers  # noqa: F401
        import pocketmentor.insights.services.privacy  # noqa: F401
