"""Learning records (xAPI statements) and the rollups the dashboards read.

Records are the log: one row per learner action, appended and never changed (erasure
anonymises the actor, see `services.records_erase`). Rollups are kept current as records
arrive, in the same transaction, so a page never scans the log; `WeekFigure` rows are
materialised from `Engagement` rows (see docs/insights.md).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pocketmentor.programs.models import Activity

# A program week is a bit of a 64-bit signed integer: weeks 1 to 63.
MAX_WEEKS = 63
# What may make a participant active: the four kinds of activity, and recalls of key points.
RECALL = "recall"
COUNTABLE = [*Activity.Kind.choices, (RECALL, _("Recall"))]
KINDS = [kind for kind, _ in COUNTABLE]
# What counts unless the program chooses otherwise: the week's own activities, not recall.
DEFAULT_KINDS = [kind for kind, _ in Activity.Kind.choices]


class LearningRecord(models.Model):
    """One xAPI 1.0.3 statement about a learner's action, as stored and as served."""

    id = models.UUIDField(primary_key=True, editable=False)  # the statement's id
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    enrollment = models.ForeignKey(
        "learning.Enrollment", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=100)  # actor.account.name in the statement
    verb = models.CharField(max_length=200)
    object = models.CharField(max_length=300)  # the object's IRI
    # Ids as they were when the record was appended: plain numbers, the log outlives them.
    unit_id = models.BigIntegerField(null=True)
    activity_id = models.BigIntegerField(null=True)
    timestamp = models.DateTimeField()
    stored = models.DateTimeField(default=timezone.now)
    statement = models.JSONField()
    forwarded_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("learning record")
        verbose_name_plural = _("learning records")
        indexes = [
            models.Index(fields=["program", "stored"], name="insights_record_program"),
            models.Index(fields=["object", "stored"], name="insights_record_object"),
            models.Index(
                fields=["stored"],
                condition=models.Q(forwarded_at__isnull=True),
                name="insights_record_unforwarded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.verb.rsplit('/', 1)[-1]} {self.object}"


class ProgramInsight(models.Model):
    """A program's choice of what counts as active, and the state of its weekly figures."""

    program = models.OneToOneField(
        "programs.Program", on_delete=models.CASCADE, primary_key=True, related_name="insight"
    )
    counted_kinds = models.CharField(
        _("activities that count"), max_length=100, default=",".join(DEFAULT_KINDS)
    )
    refreshed_at = models.DateTimeField(null=True)
    # The program's start, release time and zone when the rollups were made: weeks depend on it.
    schedule = models.CharField(max_length=100, blank=True)
    # Weeks up to this one were last materialised after they ended: they no longer change.
    final_week = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("program figures")
        verbose_name_plural = _("program figures")

    def __str__(self) -> str:
        return str(self.program_id)

    @property
    def kinds(self) -> list[str]:
        return [k for k in self.counted_kinds.split(",") if k in KINDS]


class Engagement(models.Model):
    """One participant in one program: what they did, week by week, kept current."""

    enrollment = models.OneToOneField(
        "learning.Enrollment", on_delete=models.CASCADE, primary_key=True, related_name="engagement"
    )
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Bit w - 1 is set when the participant completed an activity of that kind in week w.
    reflection_weeks = models.BigIntegerField(default=0)
    task_weeks = models.BigIntegerField(default=0)
    quiz_weeks = models.BigIntegerField(default=0)
    poll_weeks = models.BigIntegerField(default=0)
    recall_weeks = models.BigIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    last_done_at = models.DateTimeField(null=True)
    # When the enrollment was first seen deactivated; they leave the figures from that week.
    left_at = models.DateTimeField(null=True)
    reminded_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagement")
        indexes = [
            models.Index(fields=["program", "last_done_at"], name="insights_engagement_last"),
        ]

    def __str__(self) -> str:
        return str(self.enrollment_id)


class WeekFigure(models.Model):
    """Participants enrolled and active in a program week: in all, per group, per department."""

    class Dimension(models.TextChoices):
        PROGRAM = "program", _("Program")
        GROUP = "group", _("Group")
        DEPARTMENT = "department", _("Department")

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    week = models.PositiveSmallIntegerField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    group = models.ForeignKey(
        "programs.Group", on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    department = models.CharField(max_length=200, blank=True)
    enrolled = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("week figure")
        verbose_name_plural = _("week figures")
        indexes = [
            models.Index(fields=["program", "dimension", "week"], name="insights_figure_week"),
            models.Index(fields=["program", "dimension", "group"], name="insights_figure_group"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} week {self.week} {self.dimension}"


class UnitProgress(models.Model):
    """Which steps of a unit a participant took: opened, read, did a task, reflected."""

    OPENED, READ, TASK, REFLECTED = 1, 2, 4, 8

    enrollment = models.ForeignKey(
        "learning.Enrollment", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    unit = models.ForeignKey("programs.Unit", on_delete=models.CASCADE, related_name="+")
    steps = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("unit progress")
        verbose_name_plural = _("unit progress")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "unit"], name="one_progress_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.unit_id}: {self.steps}"


class UnitFunnel(models.Model):
    """How many participants took each step of a unit: the funnel, counted as steps happen."""

    unit = models.OneToOneField(
        "programs.Unit", on_delete=models.CASCADE, primary_key=True, related_name="funnel"
    )
    opened = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    tasked = models.PositiveIntegerField(default=0)
    reflected = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("unit funnel")
        verbose_name_plural = _("unit funnels")

    def __str__(self) -> str:
        return str(self.unit_id)


class AnswerCount(models.Model):
    """How many chose an option of a poll (`choice` is its id) or a value of a scale."""

    activity = models.ForeignKey(
        "programs.Activity", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    choice = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("answer count")
        verbose_name_plural = _("answer counts")
        constraints = [
            models.UniqueConstraint(fields=["activity", "choice"], name="one_count_per_choice")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.choice} × {self.count}"


class WeekTally(models.Model):
    """Events of a kind in a program week: sign-ins, shares, feedback, reactions."""

    class What(models.TextChoices):
        SIGNED_IN = "signed_in", _("Sign-ins")
        SHARED = "shared", _("Reflections shared")
        FEEDBACK = "feedback", _("Feedback given")
        REACTED = "reacted", _("Reactions")

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    week = models.PositiveSmallIntegerField()
    what = models.CharField(max_length=20, choices=What.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("week tally")
        verbose_name_plural = _("week tallies")
        constraints = [
            models.UniqueConstraint(fields=["program", "week", "what"], name="one_tally_per_week")
        ]

    def __str__(self) -> str:
        return f"{self.program_id} week {self.week} {self.what}: {self.count}"


class StatementKey(models.Model):
    """Basic-auth credentials with which an organization's tools read its statements."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="statement_keys"
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    key = models.CharField(max_length=40, unique=True)
    secret_hash = models.CharField(max_length=64)  # SHA-256 of a random 32-byte secret
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("statement key")
        verbose_name_plural = _("statement keys")

    def __str__(self) -> str:
        return self.label or self.key


class ThemeWeek(models.Model):
    """When a program week's reflection themes were computed, and from what (its signature:
    how many reflections, their ids, versions and last change), so the worker recomputes a
    week only when its reflections changed."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    week = models.PositiveSmallIntegerField()
    signature = models.CharField(max_length=200)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "week"], name="unique_theme_week")
        ]

    def __str__(self) -> str:
        return f"themes of week {self.week}"


class Theme(models.Model):
    """A recurring theme of a program week's reflections, for the whole program (no group) or
    one group, found among those shared with the facilitators (insights/themes.py)."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    week = models.PositiveSmallIntegerField()
    group = models.ForeignKey(
        "programs.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField()
    language = models.CharField(max_length=10)
    words = models.JSONField()  # two to four key words, lemmatised
    people = models.PositiveIntegerField()  # writers of the shared reflections in it
    # Writers of reflections not shared with the facilitators that carry its words: the pages
    # show it from OTHERS_SHOWN people up, never their text.
    others = models.PositiveIntegerField(default=0)
    quotes = models.JSONField(default=list)  # ids of shared responses, the most typical first

    class Meta:
        ordering = ["program", "week", "group", "position"]
        indexes = [models.Index(fields=["program", "week"], name="insights_theme_week")]

    def __str__(self) -> str:
        return " · ".join(self.words)


class ExportFile(models.Model):
    """An Excel export too large to build in a request: a worker builds it, its requester
    downloads it, and it is deleted a day after it was asked for (`exports.exports_prune`)."""

    class State(models.TextChoices):
        PREPARING = "preparing", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    table = models.CharField(max_length=16)  # "participants" or "figures"
    language = models.CharField(max_length=8)  # the requester's, for the headings
    filename = models.CharField(max_length=200)  # the download's name, without ".xlsx"
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREPARING)
    file = models.CharField(max_length=255, blank=True)  # its name in the default storage
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.filename}.xlsx ({self.state})"
