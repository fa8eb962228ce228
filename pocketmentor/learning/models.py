import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Enrollment(models.Model):
    """A participant in a program, with their group."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="enrollments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    group = models.ForeignKey(
        "orgs.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="enrollments"
    )
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="one_enrollment_per_program")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.program}"


class Response(models.Model):
    """What a participant did on an activity; its key makes retries and replays harmless."""

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Only me")
        GROUP = "group", _("My group")
        FACILITATORS = "facilitators", _("The facilitators")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="responses")
    activity = models.ForeignKey(
        "programs.Activity", on_delete=models.CASCADE, related_name="responses"
    )
    key = models.UUIDField(_("idempotency key"), unique=True, default=uuid.uuid4)
    text = models.TextField(_("text"), blank=True)
    value = models.PositiveSmallIntegerField(_("value"), null=True, blank=True)
    choices = models.ManyToManyField("programs.Option", blank=True, related_name="responses")
    visibility = models.CharField(
        _("who can see it"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.PRIVATE,
    )
    created_at = models.DateTimeField(_("done"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "activity"], name="one_response_per_activity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · {self.activity}"
