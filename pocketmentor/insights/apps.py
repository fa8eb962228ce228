from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.insights"
    label = "insights"

    def ready(self):
        # What this app keeps about a person, for the privacy package's export and erasure.
        import pocketmentor.insights.jobs  # noqa: F401 - its periodic jobs, for the worker
        import pocketmentor.insights.receivers  # noqa: F401
        import pocketmentor.insights.services.privacy  # noqa: F401
        from pocketmentor.insights.views import feed_themes
        from pocketmentor.learning.staff_views import FEED_SECTIONS

        if feed_themes not in FEED_SECTIONS:
            FEED_SECTIONS.append(feed_themes)
