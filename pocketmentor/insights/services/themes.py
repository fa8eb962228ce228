"""Reflection themes per program week, whole program and each group, kept in `Theme` rows.

The worker (insights/jobs.py) calls `themes_refresh` for each live program; a week is
recomputed only when its reflections changed (their count, ids, versions or last change:
writing, editing, sharing, taking back and erasure all show). Themes are found among the
reflections the facilitators may read (shared with them or with a group: docs/privacy.md);
the people among the other reflections that carry a theme's words are counted, never quoted.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from pocketmentor.insights import themes
from pocketmentor.insights.models import Theme, ThemeWeek
from pocketmentor.learning.models import Response
from pocketmentor.programs.models import Activity, Program

TEXT_KINDS = [Activity.Kind.REFLECTION, Activity.Kind.TASK]
QUOTES = 3


def _reflections(program: Program):
    return Response.objects.filter(
        enrollment__program=program,
        enrollment__is_active=True,
        activity__kind__in=TEXT_KINDS,
        activity__removed_at__isnull=True,
    ).exclude(text="")


def _signatures(program: Program) -> dict[int, str]:
    rows = (
        _reflections(program)
        .values("activity__unit__number")
        .annotate(n=Count("id"), ids=Sum("id"), versions=Sum("version"), last=Max("updated_at"))
        .order_by()
    )
    return {
        r["activity__unit__number"]: f"{r['n']}:{r['ids']}:{r['versions']}:{r['last']:%s.%f}"
        for r in rows
    }


def themes_refresh(*, program: Program, now: dt.datetime | None = None) -> list[int]:
    """Recompute the weeks whose reflections changed since last time; the weeks done."""
    now = now or timezone.now()
    signatures = _signatures(program)
    known = dict(ThemeWeek.objects.filter(program=program).values_list("week", "signature"))
    changed = [w for w, s in signatures.items() if known.get(w) != s]
    gone = [w for w in known if w not in signatures]
    if gone:
        with transaction.atomic():
            Theme.objects.filter(program=program, week__in=gone).delete()
            ThemeWeek.objects.filter(program=program, week__in=gone).delete()
    for week in sorted(changed):
        themes_compute(program=program, week=week, signature=signatures[week], now=now)
    return sorted(changed)


def themes_compute(
    *, program: Program, week: int, signature: str = "", now: dt.datetime | None = None
) -> list[Theme]:
    """A program week's themes, whole program and per group, replacing what was there."""
    rows = list(
        _reflections(program)
        .filter(activity__unit__number=week)
        .values_list(
            "id",
            "enrollment__user_id",
            "enrollment__group_id",
            "text",
            "shared_with_facilitators",
            "shared_with_group",
        )
        .order_by("id")
    )
    scopes: dict[int | None, list[tuple]] = defaultdict(list)
    for row in rows:
        scopes[None].append(row)
        if row[2] is not None:
            scopes[row[2]].append(row)
    made: list[Theme] = []
    for group_id, scope in scopes.items():
        shared = [themes.Text(id=r[0], person=r[1], text=r[3]) for r in scope if r[4] or r[5]]
        others = [themes.Text(id=r[0], person=r[1], text=r[3]) for r in scope if not (r[4] or r[5])]
        found = themes.find(shared, program.language)
        counts = themes.people_with(found, others, program.language)
        made += [
            Theme(
                program=program,
                week=week,
                group_id=group_id,
                position=position,
                language=program.language,
                words=theme.words,
                people=theme.people,
                others=counts[position],
                quotes=theme.members[:QUOTES],
            )
            for position, theme in enumerate(found)
        ]
    with transaction.atomic():
        Theme.objects.filter(program=program, week=week).delete()
        Theme.objects.bulk_create(made)
        ThemeWeek.objects.update_or_create(
            program=program,
            week=week,
            defaults={"signature": signature, "computed_at": now or timezone.now()},
        )
    return made
