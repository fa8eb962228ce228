from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.nudges"
    label = "nudges"

    def ready(self):
        # What this app keeps about a person, for the privacy package's export and erasure.
        import pocketmentor.nudges.jobs  # noqa: F401 - its periodic jobs, for the worker
        import pocketmentor.nudges.privacy  # noqa: F401
        import pocketmentor.nudges.receivers  # noqa: F401
        from pocketmentor.nudges import planning
        from pocketmentor.programs import selectors

        # The going-live page says when the first "week opens" message goes.
        selectors.going_live_hooks["first_release"] = planning.first_release
