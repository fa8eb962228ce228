import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

WEEK = dt.timedelta(days=7)


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise ValidationError(_("Unknown time zone: %(zone)s."), params={"zone": value}) from None


class Program(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        FINISHED = "finished", _("Finished")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="programs"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"))
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="nb"
    )
    start_date = models.DateField(_("start date"))
    release_time = models.TimeField(_("release time"), default=dt.time(7, 30))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Oslo", validators=[validate_time_zone]
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="unique_program_slug")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def opens_at(self, number: int) -> dt.datetime:
        """When week `number` (1-based) opens: the release time, local wall clock, DST-correct."""
        day = self.start_date + (number - 1) * WEEK
        return dt.datetime.combine(day, self.release_time, tzinfo=self.zone)

    def week_at(self, moment: dt.datetime | None = None) -> int:
        """The program week running at `moment`: 0 before the start, then 1, 2, ..."""
        moment = moment or timezone.now()
        first = dt.datetime.combine(self.start_date, self.release_time)
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        week = 0 if local < first else (local - first) // WEEK + 1
        # Wall-clock arithmetic is exact except within the hour a DST change moves.
        while self.opens_at(week + 1) <= moment:
            week += 1
        while week > 0 and self.opens_at(week) > moment:
            week -= 1
        return week


class UnitQuerySet(models.QuerySet):
    def published(self) -> "UnitQuerySet":
        return self.filter(published_at__isnull=False)


class Unit(models.Model):
    """One week's challenge: cards to read, activities to do; seen once published."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="units")
    number = models.PositiveSmallIntegerField(_("week"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="unique_unit_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="unit_number_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def opens_at(self) -> dt.datetime:
        return self.program.opens_at(self.number)


class LiveCards(models.Manager):
    """Cards on the pages: one deleted in the studio is hidden at once, and can be brought
    back for a while (programs.selectors.UNDO_WINDOW) before it is purged."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(removed_at__isnull=True)


class AllCards(models.Manager):
    """Every card, the removed ones too."""


class Card(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        QUOTE = "quote", _("Quote")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="cards")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown."))
    url = models.URLField(_("link"), blank=True, help_text=_("The image or video."))
    caption = models.CharField(
        _("caption"), max_length=300, blank=True, help_text=_("Alt text, caption or attribution.")
    )
    captions = models.CharField(
        _("captions file"), max_length=500, blank=True, help_text=_("WebVTT captions for a video.")
    )
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    objects = LiveCards()  # the default: every page, export and copy sees live cards only
    everything = AllCards()  # with the removed ones: undo, purge, import

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position}"


class ActivityQuerySet(models.QuerySet):
    def live(self) -> "ActivityQuerySet":
        """Activities not removed: a removed one keeps its answers for the figures and exports."""
        return self.filter(removed_at__isnull=True)


class Activity(models.Model):
    class Kind(models.TextChoices):
        REFLECTION = "reflection", _("Reflection")
        TASK = "task", _("Task")
        QUIZ = "quiz", _("Quiz")
        POLL = "poll", _("Poll")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="activities")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    prompt = models.TextField(_("prompt"), help_text=_("Markdown."))
    multiple = models.BooleanField(
        _("several answers"), default=False, help_text=_("A quiz where more than one is right.")
    )
    # A poll is either a scale (self-assessment) or a choice among its options.
    scale_min = models.PositiveSmallIntegerField(_("scale from"), null=True, blank=True)
    scale_max = models.PositiveSmallIntegerField(_("scale to"), null=True, blank=True)
    scale_low = models.CharField(_("low end label"), max_length=80, blank=True)
    scale_high = models.CharField(_("high end label"), max_length=80, blank=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position}"

    @property
    def is_scale(self) -> bool:
        return self.kind == self.Kind.POLL and self.scale_min is not None

    @property
    def scale(self) -> range:
        return range(self.scale_min or 1, (self.scale_max or 5) + 1)

    @property
    def takes_text(self) -> bool:
        return self.kind in {self.Kind.REFLECTION, self.Kind.TASK}


class Option(models.Model):
    """A choice in a quiz (with feedback) or a poll."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("text"), max_length=300)
    is_correct = models.BooleanField(_("right answer"), default=False)
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text


class Group(models.Model):
    """A small group of participants in one program, who meet at seminars."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        db_table = "orgs_group"  # made in the orgs app, before groups moved here
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="unique_group_name")
        ]

    def __str__(self) -> str:
        return self.name


class Seminar(models.Model):
    """A dated gathering of a program's participants."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="seminars")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True, help_text=_("Markdown."))
    # No group chosen means every group, including groups made later.
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="seminars",
        verbose_name=_("groups taking part"),
        db_table="orgs_seminar_groups",
    )

    class Meta:
        db_table = "orgs_seminar"
        verbose_name = _("seminar")
        verbose_name_plural = _("seminars")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")),
                name="seminar_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SeminarUnit(models.Model):
    """A week of the program marked as work to do before a seminar, or after it."""

    class Kind(models.TextChoices):
        PREWORK = "prework", _("Pre-work")
        FOLLOWUP = "followup", _("Follow-up")

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="seminar_links")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        db_table = "orgs_seminarunit"
        verbose_name = _("seminar week")
        verbose_name_plural = _("seminar weeks")
        constraints = [
            # A week is either pre-work or follow-up for a given seminar, never both.
            models.UniqueConstraint(fields=["seminar", "unit"], name="one_kind_per_seminar_unit")
        ]

    def __str__(self) -> str:
        return f"{self.seminar} · {self.unit} ({self.get_kind_display()})"


class RecallQuestion(models.Model):
    """A unit's key point that comes back to each participant later, spaced by FSRS.

    Either a quiz of the unit used again (`activity`), answered right or wrong, or a short
    prompt whose answer is revealed after the participant has thought, then rated by them.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="recall_questions")
    position = models.PositiveSmallIntegerField(_("position"))
    activity = models.OneToOneField(
        Activity,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="recall",
        verbose_name=_("quiz"),
    )
    prompt = models.TextField(_("question"), blank=True, help_text=_("Markdown."))
    answer = models.TextField(_("answer"), blank=True, help_text=_("Markdown."))

    class Meta:
        verbose_name = _("recall question")
        verbose_name_plural = _("recall questions")
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(activity__isnull=False) | ~models.Q(prompt=""),
                name="recall_quiz_or_prompt",
            )
        ]

    def __str__(self) -> str:
        return self.question_text[:60]

    @property
    def is_quiz(self) -> bool:
        return self.activity_id is not None

    @property
    def question_text(self) -> str:
        return self.activity.prompt if self.activity is not None else self.prompt
