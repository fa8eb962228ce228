"""Records for what happened before records were kept (the demo's history, an upgrade)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from pocketmentor.insights import records, rollups
from pocketmentor.insights.models import (
    LearningRecord,
)
from pocketmentor.insights.services.recording import (
    answer_result,
    new_record,
    options_of,
    recall_result,
)
from pocketmentor.learning.models import Enrollment, Feedback, Reaction, RecallAnswer, Response
from pocketmentor.programs.models import Activity, Program, RecallQuestion

SHARING = [f"shared_with_{a}" for a in Response.Audience.values]


def records_backfill(*, program: Program, visits: Iterable = (), sign_ins: Iterable = ()) -> int:
    """Records for what happened before records were kept: answers, shares, feedback, reactions,
    recalls.

    `visits` adds units opened and cards read, as (enrollment, unit, opened_at, read_at or
    None), and `sign_ins` sign-ins, as (enrollment, signed_in_at): the demo's simulated history
    has them. Written in bulk; then rebuild the rollups.
    """
    have = set(
        LearningRecord.objects.filter(program=program, activity_id__isnull=False)
        .values_list("enrollment_id", "activity_id", "verb")
        .order_by()
    )
    language = program.language
    stored = timezone.now()
    weeks = rollups.Weeks(program)
    pending: list[LearningRecord] = []

    def add(verb, enrollment, target, moment, *, actor_id=None, result=None, extensions=None):
        pending.append(
            new_record(
                program=program,
                enrollment=enrollment,
                actor_id=actor_id or enrollment.user_id,
                verb=verb,
                target=target,
                moment=moment,
                stored=stored,
                week=weeks.of(moment),
                result=result,
                extensions=extensions,
            )  # fmt: skip
        )

    # Each row's neighbours are read once and looked up: thousands of answers, few activities.
    activities = {
        a.pk: a
        for a in Activity.objects.filter(unit__program=program)
        .select_related("unit")
        .prefetch_related("options")
    }
    enrollments = {
        e.pk: e for e in Enrollment.objects.filter(program=program).select_related("group")
    }
    mates = {e.user_id: e for e in enrollments.values()}
    in_program = {"response__enrollment__program": program}
    chosen: defaultdict[int, list[int]] = defaultdict(list)
    feedback: defaultdict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    reactions: defaultdict[int, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for response_id, option_id in Response.choices.through.objects.filter(**in_program).values_list(
        "response_id", "option_id"
    ):
        chosen[response_id].append(option_id)
    for response_id, author_id, created_at in Feedback.objects.filter(**in_program).values_list(
        "response_id", "author_id", "created_at"
    ):
        feedback[response_id].append((author_id, created_at))
    for response_id, user_id, kind, created_at in Reaction.objects.filter(**in_program).values_list(
        "response_id", "user_id", "kind", "created_at"
    ):
        reactions[response_id].append((user_id, kind, created_at))
    responses = (
        Response.objects.filter(enrollment__program=program)
        .order_by("created_at", "pk")
        .values_list(
            "pk", "enrollment_id", "activity_id", "value", *SHARING, "created_at", "updated_at"
        )
    )
    for pk, enrollment_id, activity_id, value, *flags, created_at, updated_at in responses:
        enrollment, activity = enrollments[enrollment_id], activities[activity_id]
        verb = records.COMPLETED if activity.kind == Activity.Kind.TASK else records.ANSWERED
        if (enrollment_id, activity_id, verb.iri) in have:
            continue
        options = options_of(activity)
        target = records.activity_target(activity, activity.unit, language, options)
        result = answer_result(activity, value=value, option_ids=chosen[pk], options=options)
        add(verb, enrollment, target, created_at, result=result)
        if audiences := [a for a, on in zip(Response.Audience.values, flags, strict=True) if on]:
            audience = {records.extension("audience"): audiences}
            add(records.SHARED, enrollment, target, updated_at, extensions=audience)
        learner = {records.extension("learner"): records.agent(str(enrollment.user_id))}
        for author_id, moment in feedback[pk]:
            add(records.COMMENTED, enrollment, target, moment, actor_id=author_id,
                extensions=learner)  # fmt: skip
        for user_id, kind, moment in reactions[pk]:
            if user_id in mates:
                add(records.LIKED, mates[user_id], target, moment, result={"response": kind})
    recalled = set(
        LearningRecord.objects.filter(program=program, object__contains=records.RECALL_PATH)
        .values_list("enrollment_id", "object", "timestamp")
        .order_by()
    )
    questions = {
        q.pk: q
        for q in RecallQuestion.objects.filter(unit__program=program)
        .select_related("unit", "activity")
        .prefetch_related("activity__options")
    }
    for answer in RecallAnswer.objects.filter(question__unit__program=program).order_by(
        "created_at", "pk"
    ):
        question, enrollment = questions[answer.question_id], enrollments[answer.enrollment_id]
        quiz = question.activity
        options = list(quiz.options.all()) if quiz is not None else None
        target = records.recall_target(question, question.unit, language, options)
        if (enrollment.pk, target.iri, answer.created_at) in recalled:
            continue
        add(records.ANSWERED, enrollment, target, answer.created_at,
            result=recall_result(answer, is_quiz=question.activity_id is not None),
            extensions={records.extension("repetition"): answer.repetition})  # fmt: skip
    for enrollment, unit, opened_at, read_at in visits:
        add(records.LAUNCHED, enrollment, records.unit_target(unit, language), opened_at)
        if read_at is not None:
            add(records.EXPERIENCED, enrollment, records.cards_target(unit, language), read_at)
    for enrollment, moment in sign_ins:
        add(records.LOGGED_IN, enrollment, records.program_target(program), moment)
    LearningRecord.objects.bulk_create(pending, batch_size=1000)
    return len(pending)
