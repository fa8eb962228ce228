from django.apps import AppConfig
from django.core.signals import request_started


class Config(AppConfig):
    name = "pocketmentor.accounts"
    label = "accounts"

    def ready(self):
        from pocketmentor.accounts import jobs, sessions  # noqa: F401 - jobs: the worker's

        # A person read with a session is this request's only.
        request_started.connect(sessions.forget, dispatch_uid="accounts.sessions.forget")
