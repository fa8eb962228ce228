"""Appending learning records, and keeping the rollups current as they are appended.

`record_append` is the one way a record is written, but for a unit's opening: `units_opened`
writes those in bulk, once a person, unit and day, as the worker flushes the views noted in
Redis (`opened_flush`) or, without Redis, as they happen. Both run in the caller's transaction
(a record exists exactly when the action it describes does) and update the rollups in that
same transaction. The hooks below answer the learning app's signals (insights/receivers.py).
"""

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from pocketmentor.insights import records, rollups
from pocketmentor.insights.models import (
    LearningRecord,
)
from pocketmentor.learning import tracking
from pocketmentor.learning.models import Enrollment, Feedback, Reaction, RecallAnswer, Response
from pocketmentor.lib import sql
from pocketmentor.programs.models import Activity, Program, Unit

# The columns a record is written with (all but when it was forwarded to an LRS).
_RECORD_FIELDS = [f for f in LearningRecord._meta.concrete_fields if f.name != "forwarded_at"]


@transaction.atomic(savepoint=False)
def record_append(
    *,
    verb: records.Verb,
    enrollment: Enrollment,
    target: records.Target,
    actor=None,
    moment: dt.datetime | None = None,
    result: dict | None = None,
    extensions: dict | None = None,
) -> LearningRecord:
    """Append a statement about `enrollment` and roll it up, in the caller's transaction.

    The actor is the enrollment's participant unless `actor` (who gave feedback) is given.
    """
    program = enrollment.program
    now = timezone.now()
    moment = moment or now
    week = program.week_at(moment)
    actor_id = actor.pk if actor is not None else enrollment.user_id
    record = new_record(
        program=program, enrollment=enrollment, actor_id=actor_id, verb=verb, target=target,
        moment=moment, stored=now, week=week, result=result, extensions=extensions,
    )  # fmt: skip
    record.save(force_insert=True)
    found = rollups.effects(
        verb=verb.iri,
        kind=target.kind,
        unit_id=target.unit_id,
        activity_id=target.activity_id,
        week=week,
        moment=moment,
        response=(result or {}).get("response", ""),
    )
    rollups.apply(found, program_id=program.pk, enrollment_id=enrollment.pk)
    return record


# Hooks: one call each from the places where learners act ------------------------------------


def options_of(activity: Activity) -> list | None:
    """The options a quiz's or poll's interaction lists (none for a scale); None otherwise."""
    if activity.kind == Activity.Kind.QUIZ or (
        activity.kind == Activity.Kind.POLL and not activity.is_scale
    ):
        return list(activity.options.all())
    return [] if activity.kind == Activity.Kind.POLL else None


def answer_result(
    activity: Activity, *, value: int | None, option_ids: Iterable, options: list | None = None
) -> dict:
    """What an answer says in a statement: never the text written, only choices and values;
    a quiz's score is 1 of 1 when right, else 0."""
    result: dict = {"completion": True}
    chosen = sorted(int(i) for i in option_ids)
    if activity.kind == Activity.Kind.QUIZ:
        listed = list(activity.options.all()) if options is None else options
        right = sorted(o.pk for o in listed if o.is_correct)
        success = chosen == right
        result |= {
            "success": success,
            "response": records.SEPARATOR.join(map(str, chosen)),
            "score": dict(records.SCORE_RIGHT if success else records.SCORE_WRONG),
        }
    elif activity.kind == Activity.Kind.POLL:
        if activity.is_scale and value is not None:
            result["response"] = str(value)
        elif chosen:
            result["response"] = records.SEPARATOR.join(map(str, chosen))
    return result


def response_recorded(*, response: Response, option_ids: Iterable = ()) -> None:
    """A participant answered a reflection, quiz or poll, or checked in a task."""
    activity, enrollment = response.activity, response.enrollment
    verb = records.COMPLETED if activity.kind == Activity.Kind.TASK else records.ANSWERED
    language = enrollment.program.language
    options = options_of(activity)
    target = records.activity_target(activity, activity.unit, language, options)
    result = answer_result(activity, value=response.value, option_ids=option_ids, options=options)
    record_append(verb=verb, enrollment=enrollment, target=target, result=result)
    if response.audiences:
        _shared(response, response.audiences)


RATING_WORDS = {1: "again", 2: "hard", 3: "good", 4: "easy"}  # FSRS's names


def recall_result(answer: RecallAnswer, *, is_quiz: bool) -> dict:
    """Remembered or not, and the quiz's chosen options or the rating's word."""
    result: dict = {"completion": True, "success": answer.remembered}
    if is_quiz:
        result["response"] = records.SEPARATOR.join(map(str, sorted(answer.options)))
        result["score"] = dict(records.SCORE_RIGHT if answer.remembered else records.SCORE_WRONG)
    else:
        result["response"] = RATING_WORDS[answer.rating]
    return result


def recall_answered(*, answer: RecallAnswer) -> None:
    """A participant recalled a key point: answered, with which recall of it this was."""
    question, enrollment = answer.question, answer.enrollment
    quiz = question.activity
    options = list(quiz.options.all()) if quiz is not None else None
    target = records.recall_target(question, question.unit, enrollment.program.language, options)
    record_append(
        verb=records.ANSWERED,
        enrollment=enrollment,
        target=target,
        moment=answer.created_at,
        result=recall_result(answer, is_quiz=question.activity_id is not None),
        extensions={records.extension("repetition"): answer.repetition},
    )


def response_sharing(*, response: Response, audiences: list[str]) -> None:
    """Call before changed audiences are saved: sharing with a new audience is recorded."""
    if set(audiences) - set(response.audiences):
        _shared(response, audiences)


def _shared(response: Response, audiences: list[str]) -> None:
    """A statement naming every audience the reflection is shared with from now on."""
    activity, enrollment = response.activity, response.enrollment
    target = records.activity_target(activity, activity.unit, enrollment.program.language)
    extensions = {records.extension("audience"): list(audiences)}
    record_append(verb=records.SHARED, enrollment=enrollment, target=target, extensions=extensions)


def feedback_recorded(*, feedback: Feedback) -> None:
    """A facilitator or supporter replied to a shared reflection: the writer received it."""
    response = feedback.response
    activity, enrollment = response.activity, response.enrollment
    target = records.activity_target(activity, activity.unit, enrollment.program.language)
    learner = records.agent(str(enrollment.user_id))
    record_append(
        verb=records.COMMENTED,
        enrollment=enrollment,
        target=target,
        actor=feedback.author,
        moment=feedback.created_at,
        extensions={records.extension("learner"): learner},
    )


def reaction_recorded(*, reaction: Reaction) -> None:
    """A peer reacted to what someone in their group shared."""
    response = reaction.response
    program_id = response.enrollment.program_id
    mine = (
        Enrollment.objects.select_related("program", "group")
        .filter(user_id=reaction.user_id, program_id=program_id)
        .first()
    )
    if mine is None:
        return
    activity = response.activity
    target = records.activity_target(activity, activity.unit, mine.program.language)
    record_append(
        verb=records.LIKED, enrollment=mine, target=target, result={"response": reaction.kind}
    )


def sign_in_recorded(*, user) -> None:
    """A participant signed in: one statement for each program they take part in."""
    taking_part = Enrollment.objects.select_related("program", "group").filter(
        user=user,
        is_active=True,
        program__state__in=[Program.State.LIVE, Program.State.FINISHED],
    )
    for enrollment in taking_part:
        target = records.program_target(enrollment.program)
        record_append(verb=records.LOGGED_IN, enrollment=enrollment, target=target)


def unit_opened(*, enrollment: Enrollment, unit: Unit) -> None:
    """A participant opened a unit (without Redis, during the view): as `units_opened`."""
    units_opened(views=[(enrollment, unit, timezone.now())])


def opened_flush(*, most: int = 500, batches: int = 20) -> int:
    """Record the first views noted in Redis (learning/tracking.py), `most` at a time and
    `batches` times at most: how many records are new.

    Each batch's notes leave Redis only once its records are committed; a flush that fails,
    or a worker that dies, leaves them to the next, which stores only those not stored yet.
    A view of someone no longer active (erased since) or of a unit deleted since is dropped.
    Without Redis there is nothing to flush: views are recorded as they happen.
    """
    if not tracking.queued():
        return 0
    written = 0
    for _ in range(batches):
        views = tracking.claim(most)
        if not views:
            break
        enrollments = Enrollment.objects.select_related("program", "group", "user").in_bulk(
            {v.enrollment_id for v in views}
        )
        units = Unit.objects.in_bulk({v.unit_id for v in views})
        known = [
            (enrollments[v.enrollment_id], units[v.unit_id], v.moment)
            for v in views
            if v.unit_id in units
            and v.enrollment_id in enrollments
            and enrollments[v.enrollment_id].user.is_active
        ]
        with transaction.atomic():  # committed before the notes are released
            written += units_opened(views=known)
        tracking.release(views)
        if len(views) < most:
            break
    return written


def opened_id(*, enrollment_id: int, unit_id: int, moment: dt.datetime) -> uuid.UUID:
    """The id of the record of a person's opening a unit on a day (UTC): the same each time
    it is written, so that it is stored once; derived with the secret key, so that it tells
    nothing of the person."""
    day = moment.astimezone(dt.UTC).date().isoformat()
    digest = salted_hmac("pocketmentor.opened", f"{enrollment_id}:{unit_id}:{day}").digest()
    return uuid.UUID(bytes=digest[:16], version=4)


@transaction.atomic(savepoint=False)
def units_opened(*, views: Iterable[tuple[Enrollment, Unit, dt.datetime]]) -> int:
    """Record that each (enrollment, unit, moment) opened the unit, once a day however often
    told (a worker's repeated flush, another process's view): how many records are new.

    One statement for the records, then the unit's progress and funnel of the new ones, in
    the caller's transaction. Each enrollment's `program` (and `group`) is read already.
    """
    now = timezone.now()
    rows, found = [], {}
    for enrollment, unit, moment in views:
        record_id = opened_id(enrollment_id=enrollment.pk, unit_id=unit.pk, moment=moment)
        if record_id in found:
            continue
        program = enrollment.program
        week = program.week_at(moment)
        record = new_record(
            program=program, enrollment=enrollment, actor_id=enrollment.user_id,
            verb=records.LAUNCHED, target=records.unit_target(unit, program.language),
            moment=moment, stored=now, week=week, result=None, extensions=None,
            record_id=record_id,
        )  # fmt: skip
        found[record_id] = (enrollment, unit, week, moment)
        rows.append({f.attname: getattr(record, f.attname) for f in _RECORD_FIELDS})
    inserted = sql.insert_new_returning(LearningRecord, rows, returning="id")
    for value in inserted:
        enrollment, unit, week, moment = found[
            value if isinstance(value, uuid.UUID) else uuid.UUID(value)
        ]
        effects = rollups.effects(
            verb=records.LAUNCHED.iri, kind="", unit_id=unit.pk, activity_id=None,
            week=week, moment=moment,
        )  # fmt: skip
        rollups.apply(effects, program_id=enrollment.program_id, enrollment_id=enrollment.pk)
    return len(inserted)


def cards_read(*, enrollment: Enrollment, unit: Unit) -> None:
    target = records.cards_target(unit, enrollment.program.language)
    record_append(verb=records.EXPERIENCED, enrollment=enrollment, target=target)


def new_record(
    *,
    program,
    enrollment,
    actor_id,
    verb,
    target,
    moment,
    stored,
    week,
    result,
    extensions,
    record_id: uuid.UUID | None = None,
) -> LearningRecord:
    """An unsaved record and its xAPI statement: one shape for live actions and backfills."""
    record_id = record_id or uuid.uuid4()
    name = str(actor_id)  # a person is named by their id here, nothing that names them
    statement = records.build(
        id=str(record_id), actor=name, verb=verb, target=target, moment=moment, stored=stored,
        program=program, group=enrollment.group, week=week, result=result, extensions=extensions,
    )  # fmt: skip
    return LearningRecord(
        id=record_id, program=program, enrollment=enrollment, actor_id=actor_id,
        actor_name=name, verb=verb.iri, object=target.iri, unit_id=target.unit_id,
        activity_id=target.activity_id, timestamp=moment, stored=stored, statement=statement,
    )  # fmt: skip
