"""The audit log: what staff did to personal data or to who may do what (docs/privacy.md).

Append-only: an entry is written once and never changed. The ORM refuses updates and
deletes of entries, the admin shows them read-only, and only `audit_prune` removes entries
older than AUDIT_RETENTION_DAYS.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnly(Exception):
    """Audit entries are never changed or deleted, only pruned when their time is up."""


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit entries are never changed.")

    def delete(self):
        raise AppendOnly("Audit entries are only pruned (audit_prune), never deleted.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnly("Audit entries are never changed.")


class Entry(models.Model):
    class Action(models.TextChoices):
        SIGN_IN = "sign_in", _("Staff sign-in")
        LOCKOUT = "lockout", _("Staff sign-in locked")
        PEOPLE_IMPORT = "people_import", _("People imported")
        EXPORT = "export", _("Data exported")
        PERSON_EXPORT = "person_export", _("Person's data exported")
        PERSON_ERASE = "person_erase", _("Person's data erased")
        PERSON_DEACTIVATE = "person_deactivate", _("Person deactivated")
        PERSON_REACTIVATE = "person_reactivate", _("Person reactivated")
        ROLE_CHANGE = "role_change", _("Role changed")
        API_KEY = "api_key", _("API key created")
        REMINDER = "reminder", _("Reminder sent")
        TWO_FACTOR = "two_factor", _("Two-factor sign-in changed")
        AUDIT_EXPORT = "audit_export", _("Audit log exported")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # an organization deleted takes its log with it
        related_name="+",
        verbose_name=_("organization"),
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    # Who did it: the person (kept while they exist) and their address at the time.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by"), max_length=254, blank=True)
    # Whom or what it was done to.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person"),
    )
    target = models.CharField(_("what"), max_length=300, blank=True)
    address = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organization", "-at"], name="audit_org_time")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.actor_label} {self.target}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries are only pruned (audit_prune), never deleted.")
