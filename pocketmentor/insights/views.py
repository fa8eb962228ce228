"""The engagement dashboard, the seminar brief, reminders and exports, in the studio."""

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from pocketmentor.audit.services import Action, audit_record
from pocketmentor.insights import charts, exports, selectors, services
from pocketmentor.insights.models import COUNTABLE, ExportFile, WeekTally
from pocketmentor.learning import tracking
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.views import participant_page
from pocketmentor.lib.spreadsheets import csv_response
from pocketmentor.orgs.permissions import ADMINS, AUTHORS, staff_page
from pocketmentor.programs.models import Unit

SHARED_IN_BRIEF = 30  # the newest reflections shared with the facilitators the brief shows


class CountingForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Activities that make a participant active"),
        choices=COUNTABLE,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one kind of activity.")},
    )


def _figures(request: HttpRequest, organization, program) -> dict:
    """Everything the dashboard and its printable view show."""
    now = timezone.now()
    state = services.figures_current(program=program, now=now)
    points = selectors.weekly(program=program)
    weeks = [p.week for p in points]
    color = organization.brand_primary
    headline = selectors.headline(program=program, points=points, now=now)
    running = headline.this.week if headline.running and headline.this else None
    return {
        "org": organization,
        "program": program,
        "state": state,
        "rebuilding": services.schedule_moved(state, program),
        "counted": [label for kind, label in COUNTABLE if kind in state.kinds],
        "points": points,
        "headline": headline,
        "chart": charts.weekly_chart(points, running_week=running),
        "departments": selectors.by_department(program=program, weeks=weeks, color=color),
        "groups": selectors.by_group(
            program=program, weeks=weeks, color=color, page=request.GET.get("groups", 1)
        ),
        "funnels": selectors.funnels(program=program, weeks=points),
        "polls": selectors.polls(program=program, weeks=len(points)),
        "retention": selectors.retention(program=program),
        **_themes(program),
        "week_numbers": weeks,
        "tally_kinds": WeekTally.What.choices,
        "tally_rows": _tally_rows(program, weeks),
        "at_risk": selectors.at_risk(program=program, page=request.GET.get("risk", 1), now=now),
        "is_admin": request.membership.role in ADMINS,
        "form": CountingForm(initial={"kinds": state.kinds}),
    }


def _tally_rows(program, weeks: list[int]) -> list[tuple[int, list[int]]]:
    return [
        (row.week, [row.counts.get(kind, 0) for kind, _label in WeekTally.What.choices])
        for row in selectors.tallies(program=program, weeks=weeks)
    ]


def _themes(
    program, since_week: int = 1, group_id: int | None = None, week: int | None = None
) -> dict:
    found_week, found = selectors.themes(
        program=program, group_id=group_id, since_week=since_week, week=week
    )
    return {"themes_week": found_week, "themes": found}


def feed_themes(program, group_id: int | None, week: int | None) -> str:
    """The themes at the top of the facilitators' feed, of the group and the week it is
    filtered on (else the newest week's)."""
    return render_to_string(
        "insights/_feed_themes.html", _themes(program, group_id=group_id, week=week)
    )


@require_GET
@staff_page(AUTHORS)
def dashboard(request: HttpRequest, organization, program) -> HttpResponse:
    return render(request, "insights/dashboard.html", _figures(request, organization, program))


@require_GET
@staff_page(AUTHORS)
def printable(request: HttpRequest, organization, program) -> HttpResponse:
    context = _figures(request, organization, program) | {"printable": True}
    return render(request, "insights/dashboard.html", context)


@require_POST
@staff_page(AUTHORS)
def counting(request: HttpRequest, organization, program) -> HttpResponse:
    form = CountingForm(request.POST)
    if form.is_valid():
        services.counted_kinds_set(program=program, kinds=form.cleaned_data["kinds"])
        messages.success(request, _("The figures now count the activities you chose."))
    else:
        messages.error(request, _("Choose at least one kind of activity."))
    return redirect(_dashboard_url(program) + "#counting")


@require_POST
@staff_page(AUTHORS)
def remind(request: HttpRequest, organization, program, enrollment_id: int) -> HttpResponse:
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("user", "program"),
        pk=enrollment_id,
        program=program,
        is_active=True,
    )
    try:
        services.reminder_send(enrollment=enrollment)
    except services.ReminderRefused as error:
        messages.error(request, services.remind_refused_message(enrollment.user, error))
    else:
        audit_record(
            action=Action.REMINDER, organization=organization, request=request,
            person=enrollment.user,
        )  # fmt: skip
        messages.success(
            request, _("A reminder with a sign-in link is on its way to %(name)s.")
            % {"name": enrollment.user},
        )  # fmt: skip
    page = request.POST.get("risk", "")
    query = f"?risk={page}" if page.isdigit() else ""
    return redirect(_dashboard_url(program) + query + "#at-risk")


BULK_RESULT_KEPT = 3600  # seconds a reminder to several people shows its result on replay


def _bulk_key(program, key: str) -> str:
    return f"insights-remind-many-{program.pk}-{key}"


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(hex=value)
    except ValueError:
        return False
    return True


@require_POST
@staff_page(AUTHORS)
def remind_many(request: HttpRequest, organization, program) -> HttpResponse:
    """Remind the people ticked in the at-risk list, or all at risk: first how many, and
    who, to confirm; then each is asked of the nudges app as a single reminder is."""
    everyone = request.POST.get("all") == "1"
    ids = [int(v) for v in request.POST.getlist("enrollment") if v.isdigit()]
    chosen = selectors.at_risk_chosen(program=program, ids=None if everyone else ids)
    if not chosen:
        messages.error(request, _("Tick the people to remind first."))
        return redirect(_dashboard_url(program) + "#at-risk")
    key = request.POST.get("key", "")
    if request.POST.get("confirm") != "1" or not _is_uuid(key):
        context = {"org": organization, "program": program, "chosen": chosen, "all": everyone,
                   "key": uuid.uuid4().hex}  # fmt: skip
        return render(request, "insights/remind_confirm.html", context)
    done_url = reverse("insights:remind_done", args=[organization.slug, program.slug, key])
    if not cache.add(_bulk_key(program, key), {}, BULK_RESULT_KEPT):
        return redirect(done_url)  # sent already (a replay, or a second click): its result
    done = services.reminders_send(enrollments=chosen)
    for enrollment in done.planned:
        audit_record(
            action=Action.REMINDER, organization=organization, request=request,
            person=enrollment.user,
        )  # fmt: skip
    result = {
        "planned": [str(e.user) for e in done.planned],
        "skipped": [(str(e.user), why) for e, why in done.skipped],
    }
    cache.set(_bulk_key(program, key), result, BULK_RESULT_KEPT)
    return redirect(done_url)


@require_GET
@staff_page(AUTHORS)
def remind_done(request: HttpRequest, organization, program, key: str) -> HttpResponse:
    """What a reminder to several people did: how many planned, who was skipped and why."""
    result = cache.get(_bulk_key(program, key)) if _is_uuid(key) else None
    if result is None:
        raise Http404
    context = {"org": organization, "program": program, "result": result}
    return render(request, "insights/remind_done.html", context)


@require_GET
@staff_page(AUTHORS)
def seminar_brief(request: HttpRequest, organization, program) -> HttpResponse:
    now = timezone.now()
    services.figures_current(program=program, now=now)
    points = selectors.weekly(program=program)
    brief = selectors.brief(program=program, now=now, points=points)
    weeks = [p.week for p in brief.weeks]
    color = organization.brand_primary
    context = {
        "org": organization,
        "program": program,
        "brief": brief,
        "chart": charts.weekly_chart(brief.weeks, running_week=program.week_at(now)),
        "running": bool(brief.weeks) and brief.weeks[-1].week == program.week_at(now),
        "shared": brief.shared[:SHARED_IN_BRIEF],
        "forgotten": selectors.most_forgotten(program=program, since=brief.since),
        **_themes(program, since_week=program.week_at(brief.since) if brief.previous else 1),
        "average": round(sum(p.percent for p in brief.weeks) / len(brief.weeks))
        if brief.weeks
        else None,
        "departments": selectors.by_department(program=program, weeks=weeks, color=color),
        "groups": selectors.by_group(
            program=program, weeks=weeks, color=color, page=request.GET.get("groups", 1)
        ),
        "at_risk": selectors.at_risk(program=program, now=now),
        "week_numbers": weeks,
    }
    return render(request, "insights/brief.html", context)


@require_GET
@staff_page(ADMINS)
def export(request: HttpRequest, organization, program, table: str, fmt: str) -> HttpResponse:
    """CSV streams; a small Excel file is made here, a large one by a worker (its page)."""
    if table not in exports.TABLES or fmt not in ("csv", "xlsx"):
        raise Http404
    name = exports.export_name(program=program, table=table)
    cells = exports.cells(program=program, table=table) if fmt == "xlsx" else 0
    if cells > exports.XLSX_CELLS:
        messages.error(
            request,
            _(
                "This table is too large to make as an Excel file: download it as CSV, "
                "which Excel opens too."
            ),
        )
        return redirect(_dashboard_url(program))
    audit_record(
        action=Action.EXPORT, organization=organization, request=request, target=f"{name}.{fmt}"
    )
    if cells > exports.XLSX_IN_REQUEST:
        job = exports.export_request(
            program=program, table=table, user=request.user,
            language=translation.get_language() or organization.language,
        )  # fmt: skip
        return redirect("insights:export_file", organization.slug, program.slug, job.pk)
    rows, title = exports.export_rows(program=program, table=table)
    if fmt == "csv":
        return csv_response(rows, name)
    return exports.xlsx_response(rows, name, title)


SLOW = dt.timedelta(minutes=1)  # an Excel file waiting longer: is a worker running?


def _export_file(request: HttpRequest, organization, program, export_id) -> ExportFile:
    """The requester's own export of this program; 404 for anyone else's."""
    return get_object_or_404(
        ExportFile, pk=export_id, organization=organization, program=program,
        requested_by=request.user,
    )  # fmt: skip


@require_GET
@staff_page(ADMINS)
def export_file(request: HttpRequest, organization, program, export_id) -> HttpResponse:
    """An Excel file a worker makes: being prepared, ready to download, or failed.

    While it is prepared the page says so, with a link to look again; htmx asks every three
    seconds and reloads the page once the file is made (no refresh without JavaScript: axe
    counts a page that reloads itself against those who need time to read it).
    """
    job = _export_file(request, organization, program, export_id)
    preparing = job.state == ExportFile.State.PREPARING
    if request.headers.get("HX-Request") == "true":
        if preparing:
            return HttpResponse(status=204)  # nothing new: the page asks again
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    context = {
        "org": organization,
        "program": program,
        "job": job,
        "preparing": preparing,
        "slow": preparing and timezone.now() - job.created_at > SLOW,
        "until": job.created_at + exports.KEPT_FOR,
    }
    return render(request, "insights/export_file.html", context)


@require_GET
@staff_page(ADMINS)
def export_file_download(request: HttpRequest, organization, program, export_id) -> HttpResponse:
    job = _export_file(request, organization, program, export_id)
    if job.state != ExportFile.State.READY or not default_storage.exists(job.file):
        raise Http404
    return FileResponse(
        default_storage.open(job.file), as_attachment=True, filename=f"{job.filename}.xlsx",
        content_type=exports.XLSX,
    )  # fmt: skip


def _dashboard_url(program) -> str:
    return reverse("insights:dashboard", args=[program.organization.slug, program.slug])


# The participant side: reaching the end of a unit's cards -----------------------------------


@require_POST
@participant_page
def cards_read(request: HttpRequest, enrollment, number: int) -> HttpResponse:
    """app.js posts here once the last card of a unit has been on screen."""
    program = enrollment.program
    unit = (
        Unit.objects.published()
        .filter(program=program, number=number, number__lte=program.week_at())
        .first()
    )
    if unit is None:
        raise Http404
    tracking.cards_seen(request, enrollment, unit)
    return HttpResponse(status=204)
