"""Nudges: scheduled messages as rows, the rules that keep them respectful, and people's choices.

A `Nudge` is one message to one person about one thing (a unit opening, a reminder, feedback,
a seminar, a digest). Its key is unique, so planning twice creates nothing twice; workers claim
due rows with a lease, and a claim that outlives its worker is taken back once the lease ends.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pocketmentor.programs.models import validate_time_zone

WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]
WEEKDAY_NUMBERS = [(int(number), name) for number, name in WEEKDAYS]


def validate_weekdays(value: str) -> None:
    if not value or any(day not in "1234567" for day in value):
        raise ValidationError(_("Choose at least one day."))


class NudgeRules(models.Model):
    """When and how often a program's people may be messaged.

    A row without a program holds the organization's rules; a program's own row, when there
    is one, replaces them for that program. Without either the defaults below apply.
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="nudge_rules"
    )
    program = models.OneToOneField(
        "programs.Program",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="nudge_rules",
    )
    day_starts = models.TimeField(
        _("messages from"),
        default=dt.time(7, 0),
        help_text=_("In each person's own time zone."),
    )
    day_ends = models.TimeField(
        _("messages until"), default=dt.time(20, 0), help_text=_("00:00 means midnight.")
    )
    working_days = models.CharField(
        _("days messages may arrive"), max_length=7, default="12345", validators=[validate_weekdays]
    )
    releases = models.BooleanField(_("tell people when a week opens"), default=True)
    reminders = models.BooleanField(_("remind people who have not started"), default=True)
    reminder_weekday = models.PositiveSmallIntegerField(
        _("first reminder on"), choices=WEEKDAY_NUMBERS, default=3
    )
    reminder_time = models.TimeField(_("reminder time"), default=dt.time(12, 0))
    reminder_every_days = models.PositiveSmallIntegerField(
        _("remind again after (days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    max_reminders = models.PositiveSmallIntegerField(
        _("reminders per week at most"),
        default=2,
        validators=[MaxValueValidator(5)],
        help_text=_(
            "After this many reminders without any activity, reminders pause until the "
            "person is active again."
        ),
    )
    min_gap_hours = models.PositiveSmallIntegerField(
        _("hours between two messages to a person at least"),
        default=12,
        validators=[MaxValueValidator(72)],
    )
    feedback = models.BooleanField(
        _("tell people about feedback on their reflections"), default=True
    )
    seminars = models.BooleanField(_("announce seminars"), default=True)
    seminar_notice_days = models.PositiveSmallIntegerField(
        _("days before a seminar"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
    )
    digests = models.BooleanField(_("weekly digest to facilitators and admins"), default=True)
    digest_weekday = models.PositiveSmallIntegerField(
        _("digest on"), choices=WEEKDAY_NUMBERS, default=5
    )
    digest_time = models.TimeField(_("digest time"), default=dt.time(13, 0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("nudge rules")
        verbose_name_plural = _("nudge rules")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(program__isnull=True),
                name="one_default_nudge_rules_per_org",
            )
        ]

    def __str__(self) -> str:
        return str(self.program or self.organization)

    @property
    def gap(self) -> dt.timedelta:
        return dt.timedelta(hours=self.min_gap_hours)


class Preference(models.Model):
    """What a person wants to receive. Created with the defaults the first time it is needed."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudge_preference"
    )
    enabled = models.BooleanField(_("send me messages"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)
    push = models.BooleanField(_("as notifications on my phone"), default=True)
    reminders = models.BooleanField(_("reminders when I have not started a week"), default=True)
    reminder_weekday = models.PositiveSmallIntegerField(
        _("remind me first on"), choices=WEEKDAY_NUMBERS, null=True, blank=True
    )
    reminder_time = models.TimeField(_("remind me at"), null=True, blank=True)
    time_zone = models.CharField(
        _("my time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty means the program's time zone."),
    )
    # When the last message to this person went out: the minimum gap is kept against it.
    last_message_at = models.DateTimeField(null=True, blank=True)
    # The nudge that took that slot, in the same statement. A worker that dies after taking
    # slots leaves them to its nudges: the worker that takes one up after the lease counts
    # the slot as that nudge's own, so it goes at once instead of after the gap. Only read
    # as an id, and the id of a deleted nudge is never given again: no constraint, no index.
    last_nudge = models.ForeignKey(
        "Nudge",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message preference")
        verbose_name_plural = _("message preferences")

    def __str__(self) -> str:
        return str(self.person)


class Nudge(models.Model):
    """One message to one person, due at a moment; claimed, sent and recorded once."""

    class Kind(models.TextChoices):
        RELEASE = "release", _("Week opens")
        REMINDER = "reminder", _("Reminder")
        FEEDBACK = "feedback", _("Feedback received")
        SEMINAR = "seminar", _("Seminar coming")
        DIGEST = "digest", _("Weekly digest")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        DROPPED = "dropped", _("Too late, not sent")
        SKIPPED = "skipped", _("Not needed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="nudges")
    unit = models.ForeignKey(
        "programs.Unit", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    seminar = models.ForeignKey(
        "programs.Seminar", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    feedback = models.ForeignKey(
        "learning.Feedback", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    week = models.PositiveSmallIntegerField(_("week"), null=True, blank=True)
    slot = models.PositiveSmallIntegerField(default=0)  # which reminder of the week, from 0
    # kind:object:person[:slot] — unique, so planning the same message twice adds nothing.
    key = models.CharField(max_length=120, unique=True)
    due_at = models.DateTimeField(_("due"))
    stale_at = models.DateTimeField(_("too late after"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    channels = models.CharField(_("channels"), max_length=20, blank=True)
    error = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("nudge")
        verbose_name_plural = _("nudges")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="nudge_due"),
            models.Index(fields=["state", "claimed_until"], name="nudge_lease"),
            models.Index(fields=["program", "kind", "unit"], name="nudge_program_kind"),
            models.Index(fields=["person", "kind", "sent_at"], name="nudge_person_sent"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def message_id(self) -> str:
        """The same for every attempt, so a copy sent twice is recognisable as one message."""
        from pocketmentor.nudges.channels import message_id

        return message_id(self)


class Delivery(models.Model):
    """One attempt to send a nudge over one channel, and how it went."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PUSH = "push", _("Notification")

    nudge = models.ForeignKey(Nudge, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ok = models.BooleanField(_("delivered"))
    error = models.TextField(_("reason"), blank=True)
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.nudge} {self.channel} {'ok' if self.ok else 'failed'}"


class PushSubscription(models.Model):
    """A browser's Web Push endpoint, given by the person on their phone."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.person} · {self.endpoint[:40]}"

    @property
    def info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class WorkerHeartbeat(models.Model):
    """One `pocketmentor worker` process: when it last finished a round, and what it did.

    Written at the end of every round (nudges/heartbeat.py); the studio's banner, /readyz and
    /metrics read it. The counts are since the process started.
    """

    name = models.CharField(max_length=100, unique=True)  # host:pid unless --name says
    host = models.CharField(max_length=100)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_round_at = models.DateTimeField(db_index=True)
    messages_sent = models.PositiveBigIntegerField(default=0)
    messages_failed = models.PositiveBigIntegerField(default=0)
    records_forwarded = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} ({self.last_round_at:%Y-%m-%d %H:%M:%S})"
