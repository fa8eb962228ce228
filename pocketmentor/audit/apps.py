from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "pocketmentor.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from pocketmentor.audit import jobs, signals  # noqa: F401 - pruning; sign-ins and lockouts
