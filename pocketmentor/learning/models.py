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
        "programs.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrollments",
    )
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    is_active = models.BooleanField(_("active"), default=True)
    # Changes with everything on the participant's pages that is theirs: see learning/pages.py.
    pages_version = models.PositiveIntegerField(default=0, editable=False)

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

    class Audience(models.TextChoices):
        """Who a reflection or task note may be shared with; any combination, none is private."""

        GROUP = "group", _("My group")
        SUPPORTERS = "supporters", _("My supporters")
        FACILITATORS = "facilitators", _("The facilitators")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="responses")
    activity = models.ForeignKey(
        "programs.Activity", on_delete=models.CASCADE, related_name="responses"
    )
    key = models.UUIDField(_("idempotency key"), unique=True, default=uuid.uuid4)
    text = models.TextField(_("text"), blank=True)
    value = models.PositiveSmallIntegerField(_("value"), null=True, blank=True)
    choices = models.ManyToManyField("programs.Option", blank=True, related_name="responses")
    # Read with a participant's page (`selectors.activity_states`), not columns: the ids of the
    # options chosen, and how many replies of feedback the response has.
    chosen_ids: set[int]
    feedback_count: int
    # Who may see it besides its writer (docs/privacy.md): none of the three is private.
    shared_with_group = models.BooleanField(_("shared with the group"), default=False)
    shared_with_supporters = models.BooleanField(_("shared with supporters"), default=False)
    shared_with_facilitators = models.BooleanField(_("shared with facilitators"), default=False)
    created_at = models.DateTimeField(_("done"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)
    # Raised by every edit; an edit names the version it started from (learning/services.py).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

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

    @staticmethod
    def ordered(audiences) -> list[str]:
        """Audience names (or one name) in the fixed order, once each; unknown ones dropped."""
        chosen = {audiences} if isinstance(audiences, str) else set(audiences)
        return [a for a in Response.Audience.values if a in chosen]

    @staticmethod
    def sharing(audiences) -> dict[str, bool]:
        """The three fields for audience names (unknown names are ignored)."""
        chosen = Response.ordered(audiences)
        return {f"shared_with_{a}": a in chosen for a in Response.Audience.values}

    @property
    def audiences(self) -> list[str]:
        """The audiences it is shared with, in a fixed order; empty when private."""
        return [a for a in self.Audience.values if getattr(self, f"shared_with_{a}")]

    @property
    def audience_labels(self) -> list[str]:
        return [str(self.Audience(a).label) for a in self.audiences]

    @property
    def audience_labels_for_staff(self) -> list[str]:
        """The audiences as a facilitator reads them: the writer's group, not "my group"."""
        names = {
            self.Audience.GROUP: _("Their group"),
            self.Audience.SUPPORTERS: _("Their supporters"),
            self.Audience.FACILITATORS: _("The facilitators"),
        }
        return [str(names[a]) for a in self.audiences]


class Supporter(models.Model):
    """A colleague or manager a participant invited to follow what they share with supporters."""

    LIMIT = 2

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="supporters")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supporting"
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "user"], name="one_supporter_row")
        ]

    def __str__(self) -> str:
        return f"{self.user} supports {self.enrollment}"


class Feedback(models.Model):
    """A facilitator's or supporter's reply to a shared reflection."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_given"
    )
    text = models.TextField(_("feedback"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.author} on {self.response}"


class Reaction(models.Model):
    """A peer's small sign on a shared reflection: one per person and reflection."""

    class Kind(models.TextChoices):
        THANKS = "thanks", _("Thanks for sharing")
        SAME = "same", _("Same here")
        IDEA = "idea", _("Good idea")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(_("reaction"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["response", "user"], name="one_reaction_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"


class RecallCard(models.Model):
    """When a key point comes back to a participant: FSRS's card state, one per question.

    Made when the participant first answers an activity of the question's unit, due when the
    next week opens; each recall answer schedules the next one (`services.recall_answer`).
    """

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="recall")
    question = models.ForeignKey(
        "programs.RecallQuestion", on_delete=models.CASCADE, related_name="cards"
    )
    due = models.DateTimeField(_("due"))
    # FSRS's state: 1 learning, 2 review, 3 relearning; stability and difficulty are
    # unknown until the first review.
    state = models.PositiveSmallIntegerField(default=1)
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveSmallIntegerField(_("recalls"), default=0)
    last_rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1 again … 4 easy

    class Meta:
        verbose_name = _("recall card")
        verbose_name_plural = _("recall cards")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "question"], name="one_recall_card")
        ]
        indexes = [models.Index(fields=["enrollment", "due"], name="learning_recall_due")]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.question_id} due {self.due:%Y-%m-%d}"


class RecallAnswer(models.Model):
    """One recall of a key point: how it went, and which recall of it it was (1, 2, ...)."""

    class Rating(models.IntegerChoices):  # FSRS's four ratings, in its numbers
        AGAIN = 1, _("I had forgotten")
        HARD = 2, _("With some effort")
        GOOD = 3, _("I remembered")
        EASY = 4, _("Easily")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="recall_answers"
    )
    question = models.ForeignKey(
        "programs.RecallQuestion", on_delete=models.CASCADE, related_name="answers"
    )
    key = models.UUIDField(_("idempotency key"), unique=True, default=uuid.uuid4)
    repetition = models.PositiveSmallIntegerField(_("recall"))
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)
    remembered = models.BooleanField(_("remembered"))
    options = models.JSONField(_("chosen"), default=list, blank=True)  # a quiz's option ids
    due = models.DateTimeField(_("next due"))  # what this answer scheduled
    created_at = models.DateTimeField(_("done"), default=timezone.now)

    class Meta:
        verbose_name = _("recall answer")
        verbose_name_plural = _("recall answers")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "question", "repetition"], name="one_answer_per_recall"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.question_id} #{self.repetition}"
