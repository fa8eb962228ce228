"""The participant app's part of a person's data: enrollments, answers, supporters, replies
and reactions in the export; blanked or removed on erasure (privacy/registry.py)."""

from collections import Counter

from django.db.models import F, Prefetch, Q, QuerySet

from pocketmentor.learning import selectors
from pocketmentor.learning.models import (
    Enrollment,
    Feedback,
    Reaction,
    RecallAnswer,
    Response,
    Supporter,
)
from pocketmentor.privacy import registry
from pocketmentor.privacy.services import organization_data
from pocketmentor.programs.models import Activity


def _program(program) -> dict:
    return {"title": program.title, "slug": program.slug, "time_zone": program.time_zone}


def _within(rows: QuerySet, organization, path: str) -> QuerySet:
    """Only the rows of `organization` (reached by `path`), or every row without one."""
    return rows if organization is None else rows.filter(**{path: organization})


def _week(unit) -> dict:
    return {"number": unit.number, "title": unit.title}


@registry.section("enrollments")
def enrollments(user, organization) -> list[dict]:
    rows = _within(
        Enrollment.objects.filter(user=user).select_related("program__organization", "group"),
        organization,
        "program__organization",
    )
    return [
        {
            "organization": organization_data(e.program.organization),
            "program": _program(e.program),
            "group": e.group.name if e.group else None,
            "enrolled_at": e.enrolled_at,
            "is_active": e.is_active,
        }
        for e in rows.order_by("-program__start_date", "pk")
    ]


@registry.section("responses")
def responses(user, organization) -> list[dict]:
    """Every response with its activity, the replies and the reactions it got: four queries."""
    rows = _within(
        Response.objects.filter(enrollment__user=user)
        .select_related("enrollment__program__organization", "activity__unit")
        .prefetch_related(
            "choices",
            "reactions",
            Prefetch("feedback", Feedback.objects.select_related("author").order_by("created_at")),
        ),
        organization,
        "enrollment__program__organization",
    ).order_by(
        "-enrollment__program__start_date",
        "enrollment__program_id",
        "activity__unit__number",
        "activity__position",
        "pk",
    )
    items = []
    for r in rows:
        program, activity = r.enrollment.program, r.activity
        items.append(
            {
                "organization": organization_data(program.organization),
                "program": _program(program),
                "unit": _week(activity.unit),
                "activity": {
                    "kind": activity.kind,
                    "prompt": activity.prompt,
                    "removed": activity.removed_at is not None,
                },
                "text": r.text,
                "choices": [o.text for o in r.choices.all()],
                "value": r.value,
                "audiences": r.audiences,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
                "feedback": [
                    {"author": f.author.name, "text": f.text, "created_at": f.created_at}
                    for f in r.feedback.all()
                ],
                "reactions": dict(Counter(x.kind for x in r.reactions.all())),
            }
        )
    return items


@registry.section("recalls")
def recalls(user, organization) -> list[dict]:
    """Each recall of a key point: which, when, which recall it was, how it went, what next.

    Nothing written: they stay on erasure for the figures, like the answers' rows."""
    rows = _within(
        RecallAnswer.objects.filter(enrollment__user=user).select_related(
            "enrollment__program__organization", "question__unit", "question__activity"
        ),
        organization,
        "enrollment__program__organization",
    ).order_by("-enrollment__program__start_date", "created_at", "pk")
    return [
        {
            "organization": organization_data(r.enrollment.program.organization),
            "program": _program(r.enrollment.program),
            "unit": _week(r.question.unit),
            "question": r.question.question_text,
            "repetition": r.repetition,
            "rating": r.rating,
            "remembered": r.remembered,
            "created_at": r.created_at,
            "next_due": r.due,
        }
        for r in rows
    ]


@registry.section("supporters")
def supporters(user, organization) -> list[dict]:
    """The colleagues or managers the person invited to see what they share with supporters."""
    rows = _within(
        Supporter.objects.filter(enrollment__user=user).select_related(
            "user", "enrollment__program__organization"
        ),
        organization,
        "enrollment__program__organization",
    )
    return [
        {
            "organization": organization_data(s.enrollment.program.organization),
            "program": _program(s.enrollment.program),
            "name": s.user.name,
            "email": s.user.email,
            "invited_at": s.invited_at,
        }
        for s in rows.order_by("invited_at", "pk")
    ]


@registry.section("supporting")
def supporting(user, organization) -> list[dict]:
    """The participants the person supports (their names only: the rest is theirs)."""
    rows = _within(
        Supporter.objects.filter(user=user).select_related(
            "enrollment__user", "enrollment__program__organization"
        ),
        organization,
        "enrollment__program__organization",
    )
    return [
        {
            "organization": organization_data(s.enrollment.program.organization),
            "program": _program(s.enrollment.program),
            "participant": s.enrollment.user.name,
            "invited_at": s.invited_at,
        }
        for s in rows.order_by("invited_at", "pk")
    ]


@registry.section("feedback_given")
def feedback_given(user, organization) -> list[dict]:
    """The person's replies to what others shared: their own text, never the other's."""
    rows = _within(
        Feedback.objects.filter(author=user).select_related(
            "response__enrollment__program__organization", "response__activity__unit"
        ),
        organization,
        "response__enrollment__program__organization",
    )
    return [
        {
            "organization": organization_data(f.response.enrollment.program.organization),
            "program": _program(f.response.enrollment.program),
            "unit": _week(f.response.activity.unit),
            "text": f.text,
            "created_at": f.created_at,
        }
        for f in rows.order_by("created_at", "pk")
    ]


@registry.section("reactions_given")
def reactions_given(user, organization) -> list[dict]:
    rows = _within(
        Reaction.objects.filter(user=user).select_related(
            "response__enrollment__program__organization", "response__activity__unit"
        ),
        organization,
        "response__enrollment__program__organization",
    )
    return [
        {
            "organization": organization_data(r.response.enrollment.program.organization),
            "program": _program(r.response.enrollment.program),
            "unit": _week(r.response.activity.unit),
            "kind": r.kind,
            "created_at": r.created_at,
        }
        for r in rows.order_by("created_at", "pk")
    ]


@registry.tie
def enrolled_elsewhere(user, organization) -> bool:
    """Takes part in, or supports someone in, another organization's program."""
    ties = (
        Enrollment.objects.filter(user=user).exclude(program__organization=organization),
        Supporter.objects.filter(user=user).exclude(enrollment__program__organization=organization),
    )
    return any(rows.exists() for rows in ties)


@registry.erase_step
def erase_responses(user) -> None:
    """Blank what they wrote and make it private; the rows stay for the weekly figures."""
    Response.objects.filter(enrollment__user=user).filter(
        ~Q(text="")
        | Q(shared_with_group=True)
        | Q(shared_with_supporters=True)
        | Q(shared_with_facilitators=True)
        | ~Q(updated_at=F("created_at"))
    ).update(text="", **Response.sharing(()), updated_at=F("created_at"))


@registry.erase_step
def erase_feedback(user) -> None:
    """Their replies to others, and the replies to their own writing, which is gone."""
    replies = Feedback.objects.filter(Q(author=user) | Q(response__enrollment__user=user))
    # Those they replied to see the reply on their kept pages: render those afresh.
    readers = replies.values("response__enrollment_id")
    Enrollment.objects.filter(pk__in=readers).update(pages_version=F("pages_version") + 1)
    replies.delete()


@registry.erase_step
def erase_supporters(user) -> None:
    """Nobody follows the person any more, and they follow nobody."""
    Supporter.objects.filter(Q(user=user) | Q(enrollment__user=user)).delete()


@registry.erase_step
def erase_enrollments(user) -> None:
    Enrollment.objects.filter(user=user, is_active=True).update(is_active=False)


registry.label("kind", lambda: dict(Activity.Kind.choices))
registry.label("audience", lambda: dict(Response.Audience.choices))
registry.label("reaction", lambda: dict(Reaction.Kind.choices))
registry.label("rating", lambda: dict(RecallAnswer.Rating.choices))


@registry.frame
def participant_frame(user) -> dict | None:
    """A participant sees their data under their program's header, like their other pages."""
    enrollments = selectors.enrollments_of(user=user)
    if not enrollments:
        return None
    enrollment = enrollments[0]
    return {
        "frame": "learning/participant.html",
        "enrollment": enrollment,
        "program": enrollment.program,
    }
