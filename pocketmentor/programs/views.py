"""The studio: where facilitators and admins write and run their organization's programs."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pocketmentor.lib.views import reads_only
from pocketmentor.orgs.permissions import AUTHORS, staff_page, studio_organizations
from pocketmentor.programs import media, selectors
from pocketmentor.programs.archive import extract_program, program_zip
from pocketmentor.programs.forms import (
    ActivityForm,
    CardForm,
    DuplicateForm,
    OptionFormSet,
    ProgramForm,
    RecallForm,
    UnitForm,
    options_from,
    short_name,
)
from pocketmentor.programs.importer import ProgramFolderError
from pocketmentor.programs.models import Activity, Card, Program, Unit
from pocketmentor.programs.services import authoring, program_import

GET_POST = ["GET", "POST"]
UPLOAD_LIMIT = 5 * 1024 * 1024  # read before checking what is inside, so cap it first
UNDO_MINUTES = int(selectors.UNDO_WINDOW.total_seconds() // 60)


studio_page = staff_page(AUTHORS)


@require_GET
@login_required
def studio_home(request: HttpRequest) -> HttpResponse:
    memberships = studio_organizations(user=request.user)
    if len(memberships) == 1:
        return redirect("studio:programs", memberships[0].organization.slug)
    return render(request, "programs/studio_home.html", {"memberships": memberships})


@require_GET
@studio_page
def programs(request, organization) -> HttpResponse:
    listed = organization.programs.order_by("-start_date")
    return render(request, "programs/programs.html", {"org": organization, "programs": listed})


@require_http_methods(GET_POST)
@studio_page
def program_new(request, organization) -> HttpResponse:
    form = ProgramForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "template"}
        program = authoring.program_create(
            organization=organization, template=form.cleaned_data["template"], **fields
        )
        messages.success(request, _("The program is created as a draft."))
        return redirect("studio:program", organization.slug, program.slug)
    return render(request, "programs/program_form.html", {"org": organization, "form": form})


@require_GET
@studio_page
def program(request, organization, program: Program) -> HttpResponse:
    """The program's page: its next step first, then its weeks, then the rest in groups."""
    weeks = selectors.weeks_of(program)
    is_admin = request.membership.role == "admin"
    enrolled = selectors.enrolled_count(program)
    not_invited = selectors.not_invited_count(program) if is_admin else 0
    step = selectors.next_step(
        program, weeks, enrolled=enrolled, not_invited=not_invited, is_admin=is_admin
    )
    context = {
        "org": organization, "program": program, "weeks": weeks, "step": step,
        "enrolled": enrolled, "is_admin": is_admin,
    }  # fmt: skip
    return render(request, "programs/program.html", context)


@require_http_methods(GET_POST)
@studio_page
def program_golive(request, organization, program: Program) -> HttpResponse:
    """What going live will do (GET), and doing it (POST); a second POST does nothing."""
    if request.method == "POST":
        published = authoring.program_go_live(program=program)
        if published is None:
            messages.info(request, _("The program is live already; nothing changed."))
        else:
            messages.success(
                request,
                ngettext(
                    "The program is live, and %(count)s week is published.",
                    "The program is live, and %(count)s weeks are published.",
                    len(published),
                )
                % {"count": len(published)},
            )
        return redirect("studio:program", organization.slug, program.slug)
    context = {"org": organization, "program": program, "plan": selectors.going_live(program)}
    return render(request, "programs/golive.html", context)


@require_http_methods(GET_POST)
@studio_page
def program_edit(request, organization, program: Program) -> HttpResponse:
    form = ProgramForm(request.POST or None, instance=program, organization=organization)
    if request.method == "POST" and form.is_valid():
        program = authoring.program_update(program=program, **form.cleaned_data)
        messages.success(request, _("The program is saved."))
        return redirect("studio:program", organization.slug, program.slug)
    context = {"org": organization, "program": program, "form": form}
    return render(request, "programs/program_form.html", context)


@require_http_methods(GET_POST)
@studio_page
def program_state(request, organization, program: Program) -> HttpResponse:
    """Finish, reopen or take back to draft; going live has a page of its own.

    Back to draft with people enrolled asks first (a page, then a POST with `confirm`)."""
    state = request.POST.get("state") or request.GET.get("state")
    if state == Program.State.LIVE and program.state == Program.State.DRAFT:
        return redirect("studio:program_golive", organization.slug, program.slug)
    if state == Program.State.DRAFT and program.state != Program.State.DRAFT:
        enrolled = selectors.enrolled_count(program)
        if request.method == "GET" or (enrolled and not request.POST.get("confirm")):
            context = {"org": organization, "program": program, "enrolled": enrolled}
            return render(request, "programs/program_draft.html", context)
    if request.method == "POST" and state in Program.State.values and state != program.state:
        authoring.program_update(program=program, state=state)
        messages.success(
            request,
            _("The program is now %(state)s.") % {"state": program.get_state_display().lower()},
        )
    return redirect("studio:program", organization.slug, program.slug)


@require_http_methods(GET_POST)
@studio_page
def program_duplicate(request, organization, program: Program) -> HttpResponse:
    form = DuplicateForm(request.POST or None, initial={"title": program.title})
    if request.method == "POST" and form.is_valid():
        slug_form = ProgramForm({"title": form.cleaned_data["title"]}, organization=organization)
        slug_form.is_valid()
        slug = slug_form.cleaned_data.get("slug") or f"{program.slug}-copy"
        copy = authoring.program_duplicate(program=program, slug=slug, **form.cleaned_data)
        messages.success(request, _("The copy is ready, as a draft without participants."))
        return redirect("studio:program", organization.slug, copy.slug)
    context = {"org": organization, "program": program, "form": form}
    return render(request, "programs/duplicate.html", context)


def _free_short_name(organization, title: str) -> str:
    """The title's short name, numbered when the organization already uses it."""
    base = short_name(title) or "program"
    taken = set(organization.programs.values_list("slug", flat=True))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@require_POST
@studio_page
def unit_new(request, organization, program: Program) -> HttpResponse:
    unit = authoring.unit_create(
        program=program, title=_("Week %(number)s") % {"number": program.units.count() + 1}
    )
    return redirect("studio:unit", organization.slug, program.slug, unit.number)


@require_http_methods(GET_POST)
@studio_page
def unit(request, organization, program: Program, number: int) -> HttpResponse:
    unit = get_object_or_404(Unit, program=program, number=number)
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        authoring.unit_update(unit=unit, **form.cleaned_data)
        messages.success(request, _("The unit is saved."))
        return redirect("studio:unit", organization.slug, program.slug, unit.number)
    return _unit_page(request, organization, program, unit, form)


def _unit_page(request, organization, program, unit, form, recall_form=None, status=200):
    activities = list(unit.activities.live().prefetch_related("options"))
    recall = list(unit.recall_questions.select_related("activity").order_by("position", "pk"))
    used = {q.activity_id for q in recall}
    context = {
        "org": organization,
        "program": program,
        "unit": unit,
        "form": form,
        "cards": unit.cards.all(),
        "activities": activities,
        "undoable": _undoable(organization, program, unit),
        "undo_minutes": UNDO_MINUTES,
        "opens_at": program.opens_at(unit.number),
        "card_kinds": Card.Kind.choices,
        "activity_kinds": Activity.Kind.choices,
        "recall": recall,
        "recall_quizzes": [
            a for a in activities if a.kind == Activity.Kind.QUIZ and a.pk not in used
        ],
        "recall_form": recall_form or RecallForm(),
    }
    return render(request, "programs/unit.html", context, status=status)


@require_POST
@studio_page
def recall(request, organization, program: Program, number: int) -> HttpResponse:
    """Add a key point to recall (a quiz used again, or a question), or remove one."""
    unit = get_object_or_404(Unit, program=program, number=number)
    action = request.POST.get("action")
    if action == "use":
        quiz = get_object_or_404(
            unit.activities.live(), kind=Activity.Kind.QUIZ, pk=request.POST.get("activity")
        )
        authoring.recall_add(unit=unit, activity=quiz)
        messages.success(request, _("The quiz comes back as a key point to recall."))
    elif action == "remove":
        question = get_object_or_404(unit.recall_questions, pk=request.POST.get("question"))
        authoring.recall_remove(question=question)
        messages.success(request, _("The key point no longer comes back."))
    else:
        form = RecallForm(request.POST)
        if not form.is_valid():
            form_ = UnitForm(instance=unit)
            return _unit_page(request, organization, program, unit, form_, form, status=400)
        authoring.recall_add(unit=unit, **form.cleaned_data)
        messages.success(request, _("The key point is added."))
    url = reverse("studio:unit", args=[organization.slug, program.slug, unit.number])
    return redirect(f"{url}#recall")


def _undoable(organization, program: Program, unit: Unit) -> list[dict]:
    """The week's cards and activities deleted within the undo window, newest first."""
    where = [organization.slug, program.slug, unit.number]
    found = [
        {"item": card, "snippet": card.body or card.caption or card.url,
         "url": reverse("studio:card_action", args=[*where, card.pk])}
        for card in selectors.undoable(Card.everything.filter(unit=unit))
    ] + [
        {"item": activity, "snippet": activity.prompt,
         "url": reverse("studio:activity_action", args=[*where, activity.pk])}
        for activity in selectors.undoable(Activity.objects.filter(unit=unit))
    ]  # fmt: skip
    return sorted(found, key=lambda each: each["item"].removed_at, reverse=True)


@require_http_methods(GET_POST)
@studio_page
def unit_action(request, organization, program: Program, number: int) -> HttpResponse:
    """Publish, unpublish or move a unit; hiding or moving a week people follow asks first."""
    unit = get_object_or_404(Unit, program=program, number=number)
    action = request.POST.get("action") or request.GET.get("action")
    if (
        action == "unpublish"
        and unit.published_at
        and program.state != Program.State.DRAFT
        and (request.method == "GET" or not request.POST.get("confirm"))
    ):
        context = {
            "org": organization, "program": program, "unit": unit,
            "enrolled": selectors.enrolled_count(program),
            "opened": unit.opens_at <= timezone.now(),
            "answered": unit.activities.aggregate(n=Count("responses"))["n"],
        }  # fmt: skip
        return render(request, "programs/unit_unpublish.html", context)
    if action in ("up", "down"):
        neighbour = Unit.objects.filter(
            program=program, number=unit.number + (-1 if action == "up" else 1)
        ).first()
        if (
            neighbour is not None
            and selectors.move_asks_first(program, unit, neighbour)
            and (request.method == "GET" or not request.POST.get("confirm"))
        ):
            return _unit_move_page(request, organization, program, unit, neighbour, action)
    if request.method != "POST":
        return redirect("studio:unit", organization.slug, program.slug, unit.number)
    if action in ("publish", "unpublish"):
        authoring.unit_publish(unit=unit, published=action == "publish")
        return redirect("studio:unit", organization.slug, program.slug, unit.number)
    if action in ("up", "down"):
        authoring.unit_move(unit=unit, step=-1 if action == "up" else 1)
    return redirect("studio:program", organization.slug, program.slug)


def _unit_move_page(request, organization, program, unit, neighbour, action) -> HttpResponse:
    """Ask before swapping weeks of a live program: each week's opening moves, and who sees it."""
    now = timezone.now()
    moves = [
        {"unit": week, "to": other.number, "was": program.opens_at(week.number),
         "opens_at": program.opens_at(other.number)}
        for week, other in ((unit, neighbour), (neighbour, unit))
    ]  # fmt: skip
    for move in moves:
        move["closes"] = bool(move["unit"].published_at) and move["was"] <= now < move["opens_at"]
        move["opens"] = bool(move["unit"].published_at) and move["opens_at"] <= now < move["was"]
    context = {
        "org": organization, "program": program, "unit": unit, "action": action,
        "moves": moves, "enrolled": selectors.enrolled_count(program),
    }  # fmt: skip
    return render(request, "programs/unit_move.html", context)


@require_http_methods(GET_POST)
@studio_page
def card(request, organization, program: Program, number: int, card_id: int | None = None):
    unit = get_object_or_404(Unit, program=program, number=number)
    card = get_object_or_404(Card, unit=unit, pk=card_id) if card_id else None
    initial = {"kind": request.GET.get("kind", Card.Kind.TEXT)}
    form = CardForm(request.POST or None, request.FILES or None, instance=card, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "image"}
        if form.image is not None:
            fields["url"] = media.image_store(form.image)
        authoring.card_save(unit=unit, card=card, **fields)
        messages.success(request, _("The card is saved."))
        return redirect("studio:unit", organization.slug, program.slug, unit.number)
    preview = form.instance if card else Card(**initial)
    context = {
        "org": organization, "program": program, "unit": unit, "form": form, "preview": preview,
    }  # fmt: skip
    return render(request, "programs/card_form.html", context)


@reads_only  # posted as the author types: participants' kept pages stay
@require_POST
@studio_page
def card_preview(request, organization) -> HttpResponse:
    """The card as a participant will see it, for the phone frame beside the editor."""
    form = CardForm(request.POST)
    form.is_valid()
    card = Card(**{k: form.cleaned_data.get(k, "") for k in ("kind", "body", "url", "caption")})
    return render(request, "programs/_card_preview.html", {"card": card})


@require_http_methods(GET_POST)
@studio_page
def card_action(request, organization, program: Program, number: int, card_id: int):
    """Move a card, delete it (asking first in a published week), or undo its deletion."""
    card = get_object_or_404(
        Card.everything.select_related("unit"),
        unit__program=program, unit__number=number, pk=card_id,
    )  # fmt: skip
    action = request.POST.get("action") or request.GET.get("action")
    if action == "undo":
        return _undo(request, organization, program, number, card)
    if card.removed_at is not None:
        raise Http404
    if action == "delete" and (
        request.method == "GET" or (card.unit.published_at and not request.POST.get("confirm"))
    ):
        context = {
            "org": organization, "program": program, "card": card, "undo_minutes": UNDO_MINUTES,
        }  # fmt: skip
        return render(request, "programs/card_delete.html", context)
    if request.method == "POST" and action == "delete":
        authoring.card_delete(card=card)
        messages.success(request, _deleted_text(_("The card is deleted.")))
    elif request.method == "POST" and action in ("up", "down"):
        authoring.item_move(item=card, step=-1 if action == "up" else 1)
    return redirect("studio:unit", organization.slug, program.slug, number)


def _deleted_text(done: str) -> str:
    undo = ngettext(
        "You can undo it on this page for %(minutes)s minute.",
        "You can undo it on this page for %(minutes)s minutes.",
        UNDO_MINUTES,
    )
    return f"{done} {undo % {'minutes': UNDO_MINUTES}}"


def _undo(request, organization, program, number: int, item: Card | Activity) -> HttpResponse:
    """Bring back a deleted card or activity within the window; a second undo does nothing."""
    if request.method != "POST":
        return redirect("studio:unit", organization.slug, program.slug, number)
    if item.removed_at is None:
        messages.info(request, _("It is back already."))
    elif authoring.item_restore(item=item):
        messages.success(request, _("It is back, where it was."))
    else:
        messages.error(
            request,
            ngettext(
                "It was deleted more than %(minutes)s minute ago and cannot be brought back.",
                "It was deleted more than %(minutes)s minutes ago and cannot be brought back.",
                UNDO_MINUTES,
            )
            % {"minutes": UNDO_MINUTES},
        )
    return redirect("studio:unit", organization.slug, program.slug, number)


@require_http_methods(GET_POST)
@studio_page
def activity(request, organization, program, number: int, activity_id: int | None = None):
    unit = get_object_or_404(Unit, program=program, number=number)
    activity = (
        get_object_or_404(Activity.objects.live(), unit=unit, pk=activity_id)
        if activity_id
        else None
    )
    kind = activity.kind if activity else request.GET.get("kind", "")
    if kind not in Activity.Kind.values:
        return redirect("studio:unit", organization.slug, program.slug, number)
    form = ActivityForm(request.POST or None, instance=activity, kind=kind)
    initial = [
        {"text": o.text, "is_correct": o.is_correct, "feedback": o.feedback}
        for o in (activity.options.all() if activity else [])
    ] or ([{}] * 3 if kind in (Activity.Kind.QUIZ, Activity.Kind.POLL) else [])
    data = request.POST.copy() if request.method == "POST" else None
    more = data is not None and data.pop("more", None)
    # "Preview" without JavaScript: the phone frame shows what is written, nothing saved.
    previewing = data is not None and data.pop("preview", None)
    if more:  # "Add an option" without JavaScript: one more empty row, nothing saved
        data["options-TOTAL_FORMS"] = str(int(data.get("options-TOTAL_FORMS", 0)) + 1)
    has_options = kind in (Activity.Kind.QUIZ, Activity.Kind.POLL)
    options = OptionFormSet(data, initial=initial, prefix="options") if has_options else None
    error = None
    valid = form.is_valid() and (options is None or options.is_valid())
    if request.method == "POST" and not more and not previewing and valid:
        data = form.cleaned_data
        try:
            chosen = options_from(
                options or [],
                kind=kind,
                multiple=data.get("multiple", False),
                is_scale=data.get("scale_min") is not None,
            )
        except ValidationError as invalid:
            error = invalid.messages[0]
        else:
            authoring.activity_save(unit=unit, activity=activity, kind=kind, options=chosen, **data)
            messages.success(request, _("The activity is saved."))
            return redirect("studio:unit", organization.slug, program.slug, number)
    context = {
        "org": organization, "program": program, "unit": unit, "form": form,
        "options": options, "kind": kind, "kind_label": Activity.Kind(kind).label,
        "activity": activity, "options_error": error,
        "answered": activity.responses.count() if activity else 0,
    }  # fmt: skip
    if has_options:
        source = request.POST if request.method == "POST" else _written(activity, initial)
        context["preview"] = _activity_preview(source, kind=kind)
    return render(request, "programs/activity_form.html", context)


@reads_only  # posted as the author types: participants' kept pages stay
@require_POST
@studio_page
def activity_preview(request, organization, kind: str) -> HttpResponse:
    """A quiz or poll as a participant will see it, for the phone frame beside the editor."""
    if kind not in (Activity.Kind.QUIZ, Activity.Kind.POLL):
        raise Http404
    context = {"preview": _activity_preview(request.POST, kind=kind)}
    return render(request, "programs/_activity_preview.html", context)


SCALE_LONGEST = 11  # points a previewed scale shows at most


def _written(activity: Activity | None, options: list[dict]) -> dict:
    """A saved activity (or a new one) as the editor's fields would post it."""
    data = {"options-TOTAL_FORMS": str(len(options)), "options-INITIAL_FORMS": "0"}
    for n, option in enumerate(options):
        data[f"options-{n}-text"] = option.get("text", "")
        if option.get("is_correct"):
            data[f"options-{n}-is_correct"] = "on"
    if activity is not None:
        data["prompt"] = activity.prompt
        data["multiple"] = "on" if activity.multiple else ""
        for name in ("scale_min", "scale_max", "scale_low", "scale_high"):
            value = getattr(activity, name)
            data[name] = "" if value is None else str(value)
    return data


def _activity_preview(data, *, kind: str) -> dict:
    """What the phone frame shows of a quiz or poll being written, however incomplete."""
    form = ActivityForm(data, kind=kind)
    form.is_valid()
    written = form.cleaned_data
    options = OptionFormSet(data, prefix="options")
    options.is_valid()
    low, high = written.get("scale_min"), written.get("scale_max")
    scale = None
    if kind == Activity.Kind.POLL and low is not None and high is not None and low < high:
        scale = range(low, min(high, low + SCALE_LONGEST - 1) + 1)
    return {
        "kind_label": Activity.Kind(kind).label,
        "prompt": data.get("prompt", ""),
        "multiple": kind == Activity.Kind.QUIZ and bool(written.get("multiple")),
        "quiz": kind == Activity.Kind.QUIZ,
        "scale": scale,
        "scale_low": written.get("scale_low", ""),
        "scale_high": written.get("scale_high", ""),
        "options": [
            o.cleaned_data
            for o in options.forms
            if getattr(o, "cleaned_data", None) and o.cleaned_data.get("text")
        ],
    }


@require_http_methods(GET_POST)
@studio_page
def activity_action(request, organization, program, number: int, activity_id: int):
    """Move an activity, delete it (asking first in a published week or when participants
    have answered it), or undo its deletion."""
    activity = get_object_or_404(
        Activity.objects.select_related("unit"),
        unit__program=program, unit__number=number, pk=activity_id,
    )  # fmt: skip
    action = request.POST.get("action") or request.GET.get("action")
    if action == "undo":
        return _undo(request, organization, program, number, activity)
    if activity.removed_at is not None:
        raise Http404
    answered = activity.responses.count()
    ask = answered or activity.unit.published_at
    if action == "delete" and (
        request.method == "GET" or (ask and not request.POST.get("confirm"))
    ):
        context = {
            "org": organization, "program": program, "activity": activity,
            "answered": answered, "undo_minutes": UNDO_MINUTES,
        }  # fmt: skip
        return render(request, "programs/activity_delete.html", context)
    if request.method == "POST" and action == "delete":
        authoring.activity_remove(activity=activity)
        messages.success(request, _deleted_text(_("The activity is deleted.")))
    elif request.method == "POST" and action in ("up", "down"):
        authoring.item_move(item=activity, step=-1 if action == "up" else 1)
    return redirect("studio:unit", organization.slug, program.slug, number)


@require_GET
@studio_page
def program_export(request, organization, program: Program) -> HttpResponse:
    response = HttpResponse(program_zip(program), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{program.slug}.zip"'
    return response


@require_http_methods(GET_POST)
@studio_page
def program_upload(request, organization) -> HttpResponse:
    """Create or update a program from a zip of its folder; a bad file changes nothing."""
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("archive")
        if upload is None:
            errors = [_("Choose a zip file to upload.")]
        elif upload.size > UPLOAD_LIMIT:
            errors = [_("The file is larger than 5 MB; a program folder zips to far less.")]
        else:
            with tempfile.TemporaryDirectory() as folder:
                try:
                    program = program_import(
                        organization=organization,
                        folder=extract_program(upload.read(), Path(folder)),
                    )
                except ProgramFolderError as refused:
                    errors = refused.errors
                else:
                    messages.success(request, _("The program is imported."))
                    return redirect("studio:program", organization.slug, program.slug)
    status = 400 if errors else 200
    return render(
        request, "programs/upload.html", {"org": organization, "errors": errors}, status=status
    )
