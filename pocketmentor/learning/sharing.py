"""Who sees a shared reflection, and what they may do with it: the one place that decides.

A reflection is private unless its writer shares it with their group, their supporters or
the facilitators; taking it back hides it again everywhere, since every read goes through here.
"""

from django.db.models import Count, Prefetch, QuerySet

from pocketmentor.learning.models import Enrollment, Feedback, Response, Supporter
from pocketmentor.orgs.models import Membership
from pocketmentor.orgs.permissions import AUTHORS
from pocketmentor.programs.models import Activity, Program

Visibility = Response.Visibility
TEXT_KINDS = [Activity.Kind.REFLECTION, Activity.Kind.TASK]


def _shared(qs: QuerySet) -> QuerySet:
    """Shared writing with its writer, week, feedback and reaction count: three queries."""
    return (
        qs.filter(activity__kind__in=TEXT_KINDS, activity__removed_at__isnull=True)
        .exclude(text="")
        .select_related("enrollment__user", "activity__unit")
        .annotate(reaction_count=Count("reactions"))
        .prefetch_related(Prefetch("feedback", Feedback.objects.select_related("author")))
        .order_by("-created_at")
    )


def shared_with_group(*, enrollment: Enrollment, week: int) -> list[Response]:
    """What the participant's group shared in a program week (their own included)."""
    if enrollment.group_id is None:
        return []
    return list(
        _shared(
            Response.objects.filter(
                enrollment__group_id=enrollment.group_id,
                enrollment__is_active=True,
                visibility=Visibility.GROUP,
                activity__unit__number=week,
            )
        )
    )


def shared_with_facilitators(*, program: Program) -> list[Response]:
    return list(
        _shared(
            Response.objects.filter(enrollment__program=program, visibility=Visibility.FACILITATORS)
        )[:200]
    )


def shared_with_supporter(*, user) -> list[Response]:
    supported = Supporter.objects.filter(user=user).values("enrollment")
    return list(
        _shared(
            Response.objects.filter(
                enrollment__in=supported,
                enrollment__is_active=True,
                visibility=Visibility.SUPPORTERS,
            )
        )[:200]
    )


def may_react(*, user, response: Response) -> bool:
    """Peers in the writer's group react to what was shared with the group."""
    return (
        response.visibility == Visibility.GROUP
        and response.enrollment.user_id != user.pk
        and response.enrollment.group_id is not None
        and Enrollment.objects.filter(
            user=user, group_id=response.enrollment.group_id, is_active=True
        ).exists()
    )


def may_reply(*, user, response: Response) -> bool:
    """Facilitators and admins reply to what was shared with them; supporters to theirs."""
    if response.visibility == Visibility.FACILITATORS:
        return Membership.objects.filter(
            user=user,
            organization_id=response.enrollment.program.organization_id,
            role__in=AUTHORS,
        ).exists()
    if response.visibility == Visibility.SUPPORTERS:
        return Supporter.objects.filter(user=user, enrollment=response.enrollment_id).exists()
    return False
