from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "pocketmentor.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from pocketmentor.audit import signals  # noqa: F401 - sign-ins and lockouts
