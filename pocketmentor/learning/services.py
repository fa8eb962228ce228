"""Writes of the participant app: each state change is one function here."""

import datetime as dt
import uuid
from collections.abc import Iterable

import fsrs
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from pocketmentor.accounts.models import User
from pocketmentor.accounts.services import login_link_url, person_language
from pocketmentor.learning import pages, signals
from pocketmentor.learning.models import (
    Enrollment,
    Feedback,
    Reaction,
    RecallAnswer,
    RecallCard,
    Response,
    Supporter,
)
from pocketmentor.programs.models import Activity, Program, RecallQuestion


class KeyConflict(Exception):
    """The idempotency key already belongs to another response."""


class AnswerFinal(Exception):
    """A quiz or poll was answered already: the first answer stands."""

    def __init__(self, response: Response):
        super().__init__(response.pk)
        self.response = response


class EditConflict(Exception):
    """The response changed after the page the edit was written on was opened."""

    def __init__(self, response: Response):
        super().__init__(response.pk)
        self.response = response


@transaction.atomic
def response_record(
    *,
    enrollment: Enrollment,
    activity: Activity,
    key: uuid.UUID,
    text: str = "",
    value: int | None = None,
    option_ids: Iterable[int] = (),
    audiences: Iterable[str] = (),
    version: int | None = None,
) -> tuple[Response, bool]:
    """Store what a participant did; a replayed key changes nothing and succeeds.

    Returns the response and whether this call changed anything. Reflections and task
    notes can be rewritten later: `version` is the response's version the writer started
    from (0 when there was none), and an edit from an older one raises `EditConflict`
    instead of overwriting the newer text (None, for callers without a page, skips the
    check). Quiz and poll answers are final: another answer raises `AnswerFinal`.
    `audiences`: who it is shared with besides its writer (`Response.Audience`; none: private).
    """
    audiences = Response.ordered(audiences)
    existing = (
        Response.objects.select_for_update()
        .filter(enrollment=enrollment, activity=activity)
        .first()
    )
    if existing is None:
        if Response.objects.filter(key=key).exists():
            raise KeyConflict(key)
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    enrollment=enrollment,
                    activity=activity,
                    key=key,
                    text=text,
                    value=value,
                    **Response.sharing(audiences),
                )
        except IntegrityError:  # a concurrent request with the same key or activity won
            existing = (
                Response.objects.select_for_update()
                .filter(enrollment=enrollment, activity=activity)
                .first()
            )
            if existing is None:
                raise KeyConflict(key) from None
        else:
            if option_ids:
                response.choices.set(option_ids)
            recall_cards_start(enrollment=enrollment, unit_id=activity.unit_id)
            signals.response_recorded.send(Response, response=response, option_ids=option_ids)
            pages.touch(enrollment_id=enrollment.pk)
            return response, True
    if existing.key == key:
        return existing, False
    if not activity.takes_text:
        raise AnswerFinal(existing)
    if (existing.text, existing.audiences) == (text, audiences):
        return existing, False
    if version is not None and version != existing.version:
        raise EditConflict(existing)
    return response_edit(response=existing, text=text, audiences=audiences), True


@transaction.atomic
def response_edit(*, response: Response, text: str, audiences: Iterable[str]) -> Response:
    """Rewrite a reflection or a task note, or change who may see it (`audiences`)."""
    audiences = Response.ordered(audiences)
    signals.response_sharing.send(Response, response=response, audiences=audiences)
    response.text = text
    flags = Response.sharing(audiences)
    for name, value in flags.items():
        setattr(response, name, value)
    response.updated_at = timezone.now()
    response.version += 1
    response.save(update_fields=["text", *flags, "updated_at", "version"])
    pages.touch(enrollment_id=response.enrollment_id)
    return response


@transaction.atomic
def feedback_give(*, response: Response, author, text: str) -> Feedback:
    """A reply to a shared reflection; the writer sees it beside their reflection."""
    feedback = Feedback.objects.create(response=response, author=author, text=text)
    signals.feedback_given.send(Feedback, feedback=feedback)
    pages.touch(enrollment_id=response.enrollment_id)
    return feedback


@transaction.atomic
def reaction_toggle(*, response: Response, user, kind: str) -> Reaction | None:
    """React, change one's reaction, or take it back by choosing the same again."""
    current = Reaction.objects.filter(response=response, user=user).first()
    pages.touch(enrollment_id=response.enrollment_id)  # the writer sees how many reacted
    if current is not None and current.kind == kind:
        current.delete()
        return None
    reaction, _ = Reaction.objects.update_or_create(
        response=response, user=user, defaults={"kind": kind}
    )
    signals.reaction_given.send(Reaction, reaction=reaction)
    return reaction


class SupporterLimit(Exception):
    """A participant has as many supporters as allowed."""


@transaction.atomic
def supporter_invite(*, enrollment: Enrollment, email: str, name: str = "") -> Supporter:
    """Invite a colleague or manager by e-mail; they see only what is shared with supporters."""
    email = email.strip().lower()
    existing = Supporter.objects.filter(enrollment=enrollment, user__email=email).first()
    if existing is not None:
        return existing
    if Supporter.objects.filter(enrollment=enrollment).count() >= Supporter.LIMIT:
        raise SupporterLimit
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, name=name, language=enrollment.user.language
    )
    supporter = Supporter.objects.create(enrollment=enrollment, user=user)
    _supporter_mail(supporter)
    return supporter


def _supporter_mail(supporter: Supporter) -> None:
    participant = supporter.enrollment.user
    with translation.override(supporter.user.language or person_language(participant)):
        context = {
            "participant": participant,
            "program": supporter.enrollment.program,
            "url": login_link_url(user=supporter.user),
        }
        message = EmailMultiAlternatives(
            subject=render_to_string("learning/email/supporter_subject.txt", context).strip(),
            body=render_to_string("learning/email/supporter.txt", context),
            to=[supporter.user.email],
        )
        message.attach_alternative(
            render_to_string("learning/email/supporter.html", context), "text/html"
        )
    transaction.on_commit(message.send)


@transaction.atomic
def supporter_remove(*, supporter: Supporter) -> None:
    supporter.delete()


# Spaced recall --------------------------------------------------------------------------------
#
# A unit's key points (programs.RecallQuestion) come back to each participant who did something
# in the unit, first in the week after the unit's week, then as FSRS schedules them from each
# answer. The scheduler works in days, with no learning steps of minutes: a participant sees
# what is due in the week under way (selectors.recall_items), so a point due on Thursday is
# asked when they next open the week, and at most once a week.

SCHEDULER = fsrs.Scheduler(
    learning_steps=(), relearning_steps=(), maximum_interval=365, enable_fuzzing=False
)
Rating = RecallAnswer.Rating


class RecallNotDue(Exception):
    """The key point is not due this week (answered this week already, or not yet due)."""


def recall_cards_start(*, enrollment: Enrollment, unit_id: int) -> None:
    """The participant did something in a unit: its key points come back the week after."""
    questions = list(
        RecallQuestion.objects.filter(unit_id=unit_id).values_list("pk", "unit__number")
    )
    if not questions:
        return
    due = enrollment.program.opens_at(questions[0][1] + 1)
    RecallCard.objects.bulk_create(
        [RecallCard(enrollment=enrollment, question_id=pk, due=due) for pk, _ in questions],
        ignore_conflicts=True,
    )


def recall_added(sender, *, questions: list[RecallQuestion], **kwargs) -> None:
    """Key points added to units: those who answered in a unit already get them, due as if
    they had been there from the start (the week after the unit's week)."""
    for question in questions:
        program = question.unit.program
        due = program.opens_at(question.unit.number + 1)
        enrollments = (
            Response.objects.filter(activity__unit_id=question.unit_id)
            .values_list("enrollment_id", flat=True)
            .distinct()
        )
        RecallCard.objects.bulk_create(
            [RecallCard(enrollment_id=e, question=question, due=due) for e in enrollments],
            ignore_conflicts=True,
            batch_size=5000,
        )


def recall_week(program: Program, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When the program week under way at `moment` opened, and when the next one opens."""
    week = program.week_at(moment)
    return program.opens_at(week), program.opens_at(week + 1)


def recall_is_due(card: RecallCard, program: Program, moment: dt.datetime) -> bool:
    """Due in the week under way, and not answered in it yet."""
    opened, next_opens = recall_week(program, moment)
    if program.week_at(moment) < 1:
        return False
    return card.due < next_opens and (card.last_review is None or card.last_review < opened)


def fsrs_card(card: RecallCard) -> fsrs.Card:
    return fsrs.Card(
        card_id=card.pk,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due.astimezone(dt.UTC),
        last_review=card.last_review.astimezone(dt.UTC) if card.last_review else None,
    )


@transaction.atomic
def recall_answer(
    *,
    enrollment: Enrollment,
    question: RecallQuestion,
    key: uuid.UUID,
    rating: int | None = None,
    option_ids: Iterable[int] = (),
) -> tuple[RecallAnswer, bool]:
    """Store a recall and schedule the next one with FSRS; a replayed key changes nothing.

    A quiz used for recall is rated by the answer: right is Good, wrong is Again; a prompt is
    rated by the participant (Again, Hard, Good, Easy). Returns the answer and whether this
    call stored it; raises `RecallNotDue` when the point is not due this week, `KeyConflict`
    when the key belongs to another answer.
    """
    option_ids = [int(i) for i in option_ids]
    replayed = RecallAnswer.objects.filter(key=key).first()
    if replayed is not None:
        if (replayed.enrollment_id, replayed.question_id) != (enrollment.pk, question.pk):
            raise KeyConflict(key)
        return replayed, False
    card = (
        RecallCard.objects.select_for_update()
        .filter(enrollment=enrollment, question=question)
        .first()
    )
    now = timezone.now()
    if card is None or not recall_is_due(card, enrollment.program, now):
        raise RecallNotDue(question.pk)
    if question.activity is not None:
        right = {o.pk for o in question.activity.options.all() if o.is_correct}
        remembered = bool(right) and set(option_ids) == right
        rating = Rating.GOOD if remembered else Rating.AGAIN
    elif rating not in Rating.values:
        raise ValueError(f"rating {rating!r}")
    else:
        remembered = rating >= Rating.GOOD
    reviewed, _log = SCHEDULER.review_card(
        fsrs_card(card), fsrs.Rating(rating), review_datetime=now.astimezone(dt.UTC)
    )
    card.state, card.step = int(reviewed.state), reviewed.step
    card.stability, card.difficulty = reviewed.stability, reviewed.difficulty
    card.due, card.last_review = reviewed.due, now
    card.reps += 1
    card.last_rating = rating
    card.save()
    answer = RecallAnswer.objects.create(
        enrollment=enrollment,
        question=question,
        key=key,
        repetition=card.reps,
        rating=rating,
        remembered=remembered,
        options=sorted(option_ids) if question.activity is not None else [],
        due=card.due,
        created_at=now,
    )
    signals.recall_answered.send(RecallAnswer, answer=answer)
    pages.touch(enrollment_id=enrollment.pk)
    return answer, True
