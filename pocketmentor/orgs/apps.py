from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.orgs"
    label = "orgs"

    def ready(self):
        # What this app keeps about a person, for the privacy package's export and erasure.
        import pocketmentor.orgs.privacy  # noqa: F401
