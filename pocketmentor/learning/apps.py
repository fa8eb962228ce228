from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.learning"
    label = "learning"

    def ready(self):
        # What this app keeps about a person, for the privacy package's export and erasure.
        import pocketmentor.learning.privacy  # noqa: F401
        from pocketmentor.learning import pages
        from pocketmentor.programs import signals

        signals.content_changed.connect(pages.content_changed, dispatch_uid="learning.pages")
        from pocketmentor.learning import services

        signals.recall_added.connect(services.recall_added, dispatch_uid="learning.recall_added")
