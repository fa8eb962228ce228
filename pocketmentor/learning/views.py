from functools import partial, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from pocketmentor.learning import pages, selectors, tracking
from pocketmentor.learning.forms import (
    FeedbackForm,
    RecallForm,
    ResponseForm,
    SupporterForm,
    option_order,
    recall_seed,
    response_seed,
)
from pocketmentor.learning.models import Reaction, Response, Supporter
from pocketmentor.learning.services import (
    AnswerFinal,
    EditConflict,
    KeyConflict,
    RecallNotDue,
    SupporterLimit,
    feedback_give,
    reaction_toggle,
    recall_answer,
    response_record,
    supporter_invite,
    supporter_remove,
)
from pocketmentor.orgs.permissions import studio_organizations
from pocketmentor.programs.models import Activity, RecallQuestion


def participant_page(view):
    """Open a page of one enrollment: 404 to everyone but its participant."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, org: str, program: str, **kwargs) -> HttpResponse:
        found = getattr(request, "page_versions", None)  # read by pages.cached already
        if found is not None:
            enrollment = selectors.enrollment_of(found)
        else:
            enrollment = selectors.enrollment_for(
                user=request.user, org_slug=org, program_slug=program
            )
        translation.activate(request.user.language or enrollment.program.organization.language)
        request.LANGUAGE_CODE = translation.get_language()
        timezone.activate(enrollment.program.zone)
        request.enrollment = enrollment
        return view(request, enrollment, **kwargs)

    return wrapper


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    enrollments = selectors.enrollments_of(user=request.user)
    if len(enrollments) == 1:
        return redirect(_url("learning:week", enrollments[0]))
    if not enrollments and studio_organizations(user=request.user):
        return redirect("studio:home")
    if not enrollments and Supporter.objects.filter(user=request.user).exists():
        return redirect("learning:supporting")
    return render(request, "learning/home.html", {"enrollments": enrollments})


@require_GET
@pages.cached
@participant_page
def this_week(request: HttpRequest, enrollment) -> HttpResponse:
    unit = selectors.open_unit(enrollment=enrollment)
    if unit is None:
        return render(request, "learning/not_started.html", _base(enrollment))
    return _unit_page(request, enrollment, unit, this_week=True)


@require_GET
@pages.cached
@participant_page
def unit(request: HttpRequest, enrollment, number: int) -> HttpResponse:
    unit = selectors.open_unit(enrollment=enrollment, number=number)
    if unit is not None:
        return _unit_page(request, enrollment, unit)
    program = enrollment.program
    if not selectors.unit_exists(program=program, number=number):
        return render(request, "404.html", status=404)
    context = _base(enrollment) | {"number": number, "opens_at": program.opens_at(number)}
    return render(request, "learning/locked.html", context, status=403)


@require_POST
@participant_page
def respond(request: HttpRequest, enrollment, activity_id: int) -> HttpResponse:
    # The phone's outbox names who wrote the answer: after someone else signs in on the same
    # phone, it is kept for its writer (who is asked to sign in), not stored as theirs.
    writer = request.headers.get("X-Writer")
    if writer is not None and writer != str(request.user.pk):
        return HttpResponse(status=403)
    number = get_object_or_404(
        Activity.objects.live()
        .filter(unit__program=enrollment.program)
        .values_list("unit__number", flat=True),
        pk=activity_id,
    )
    unit = selectors.open_unit(enrollment=enrollment, number=number)
    if unit is None:  # locked: answering before the week opens is not possible
        return render(request, "404.html", status=404)
    activity = next(a for a in unit.activities.all() if a.pk == activity_id)
    if request.POST.get("resolve") == "newer":  # a conflict settled for the stored text
        return _answered(request, enrollment, unit, activity)
    form = ResponseForm(request.POST, activity=activity, shuffle_for=enrollment.pk)
    if not form.is_valid():
        return _refused(request, enrollment, unit, activity, form, status=400)
    try:
        response_record(enrollment=enrollment, activity=activity, **form.answer())
    except KeyConflict:
        form.add_error(None, _("This answer could not be saved. Reload the page and try again."))
        return _refused(request, enrollment, unit, activity, form, status=400)
    except AnswerFinal:
        return _answered(request, enrollment, unit, activity, notice=_final_notice(activity))
    except EditConflict as conflict:
        answer = form.answer()
        form = ResponseForm(
            activity=activity,
            response=conflict.response,
            mine={"text": answer["text"], "audiences": answer["audiences"]},
        )
        form.conflict = conflict.response
        form.next = request.POST.get("next", "")
        return _refused(request, enrollment, unit, activity, form, status=409)
    return _answered(request, enrollment, unit, activity)


def _answered(request, enrollment, unit, activity, *, notice: str = "") -> HttpResponse:
    """The activity as answered: its section for htmx and the outbox, else back to the page."""
    if not _is_htmx(request):
        if notice:
            messages.info(request, notice)
        if request.POST.get("next") == "reflections":
            return redirect(_url("learning:reflections", enrollment))
        url = _url("learning:unit", enrollment, number=unit.number)
        return redirect(f"{url}#activity-{activity.pk}")
    states = selectors.activity_states(enrollment=enrollment, unit=unit)
    state = next(s for s in states if s.activity.pk == activity.pk)
    form = ResponseForm(activity=activity, response=state.response, shuffle_for=enrollment.pk)
    context = _base(enrollment) | {
        "state": state,
        "form": form,
        "notice": notice,
        "done": sum(s.done for s in states),  # the week's counter, swapped in beside it
        "total": len(states),
    }
    return render(request, "learning/_answered.html", context)


def _refused(request, enrollment, unit, activity, form, *, status: int) -> HttpResponse:
    """The activity with what was sent and why it is not stored, so nothing typed is lost."""
    states = selectors.activity_states(enrollment=enrollment, unit=unit)
    if _is_htmx(request):
        state = next(s for s in states if s.activity.pk == activity.pk)
        context = _base(enrollment) | {"state": state, "form": form}
        return render(request, "learning/_activity.html", context, status=status)
    return _unit_page(request, enrollment, unit, states=states, failed=form, status=status)


def _final_notice(activity: Activity) -> str:
    if activity.kind == Activity.Kind.QUIZ:
        return _(
            "You had answered this quiz already. Your first answer stands: quiz answers are final."
        )
    return _(
        "You had answered this poll already. Your first answer stands: poll answers are final."
    )


@require_GET
@participant_page
def progress(request: HttpRequest, enrollment) -> HttpResponse:
    context = _base(enrollment) | {"progress": selectors.progress_of(enrollment=enrollment)}
    return render(request, "learning/progress.html", context)


@require_GET
@participant_page
def reflections(request: HttpRequest, enrollment) -> HttpResponse:
    items = [
        (r, ResponseForm(activity=r.activity, response=r))
        for r in selectors.reflections_of(enrollment=enrollment)
    ]
    return render(request, "learning/reflections.html", _base(enrollment) | {"items": items})


def _unit_page(
    request, enrollment, unit, *, this_week=False, states=None, failed=None, status=200,
    recall_failed=None,
):  # fmt: skip
    tracking.unit_viewed(request, enrollment, unit)
    # The key points due this week, at the top of *this week*; answering one raises the
    # page's version, and which are due changes only when a week opens (services.py).
    if states is None:
        states, recall = selectors.page_reads(enrollment=enrollment, unit=unit, recall=this_week)
    else:
        recall = selectors.recall_items(enrollment=enrollment) if this_week else []
    program = enrollment.program
    seminar = (
        selectors.seminar_for(program=program, group_id=enrollment.group_id) if this_week else None
    )
    context = _base(enrollment) | {
        "unit": unit,
        "this_week": this_week,
        "recall": _recall_parts(enrollment, recall, recall_failed),
        "items": _activity_parts(enrollment, states, failed),
        "done": sum(s.done for s in states),
        "seminar": seminar,
        "seminar_part": _seminar_part(program, seminar),
        "poll_slots": True,  # filled with the counts current whenever the page is served
    }
    if status == 200 and not len(messages.get_messages(request)):
        # What all participants see of the unit is rendered once: each gets their own parts.
        version, language = program.organization.pages_version, translation.get_language()
        key = f"shell:{unit.pk}:{version}:{language}:{this_week}:{request.get_full_path()}"
        response = pages.assembled(request, "learning/unit.html", context, key=key)
    else:
        response = render(request, "learning/unit.html", context, status=status)
    response = pages.fill(request, response)
    # The page changes when the next week opens or the seminar ends; the polls' counts are
    # put in whenever it is served.
    changes = [program.opens_at(program.week_at() + 1)] if this_week else []
    changes += [seminar.ends_at] if seminar else []
    polls = [s.poll for s in states if s.poll is not None]
    return pages.keep(response, unit_id=unit.pk, until=min(changes, default=None), polls=polls)


def _activity_parts(enrollment, states, failed=None) -> list[tuple]:
    """Each activity as (state, form, html): an unanswered one as the part everyone shares
    (html, its options put in the person's order, no form built), else with its form."""
    items, wanted = [], {}
    for state in states:
        activity = state.activity
        if failed is not None and failed.activity.pk == activity.pk:
            items.append((state, failed, None))
        elif state.done:
            form = ResponseForm(
                activity=activity, response=state.response, shuffle_for=enrollment.pk
            )
            items.append((state, form, None))
        else:
            key = _part_key("activity", activity.pk, enrollment.program)
            wanted[key] = partial(_render_activity, enrollment.program, state)
            items.append((state, None, key))

    def in_their_order(state, part):
        seed = response_seed(state.activity, enrollment.pk)
        return _ordered(part, f"a{state.activity.pk}", state.activity, seed)

    def own_form(state):
        return ResponseForm(activity=state.activity, shuffle_for=enrollment.pk)

    return _assembled(items, pages.fragments(wanted), in_their_order, own_form)


def _recall_parts(enrollment, recall, failed=None) -> list[tuple]:
    """Each key point due as (item, form, html), shared like the activities when unanswered."""
    items, wanted = [], {}
    for item in recall:
        question = item.question
        if item.done or (failed is not None and failed.question.pk == question.pk):
            items.append((item, _recall_form(item, enrollment, failed), None))
            continue
        key = _part_key("recall", question.pk, enrollment.program)
        wanted[key] = partial(_render_recall, enrollment.program, item)
        items.append((item, None, key))

    def in_their_order(item, part):
        activity = item.question.activity
        seed = recall_seed(activity, enrollment.pk) if activity else None
        return _ordered(part, f"r{item.question.pk}", activity, seed)

    return _assembled(
        items, pages.fragments(wanted), in_their_order, lambda item: _recall_form(item, enrollment)
    )


def _assembled(items, parts, in_their_order, own_form) -> list[tuple]:
    """(thing, form, html) for each of `items`: a shared part put in the person's order, or,
    where its options could not be found in it, the person's own form to render instead."""
    result = []
    for thing, form, key in items:
        part = None
        if key is not None:
            part = in_their_order(thing, parts[key])
            if part is None:
                form = own_form(thing)
        result.append((thing, form, part))
    return result


def _ordered(part, prefix: str, activity, seed: str | None):
    """The shared part with its options in the person's order (`forms.option_order`)."""
    if seed is None:
        return part
    order = [pk for pk, _ in option_order(activity, seed)]
    return pages.in_order(part, f"{prefix}-choice", order)


def _part_key(kind: str, pk: int, program) -> str:
    """What a shared part shows: the item, the content's version and the language."""
    version = program.organization.pages_version
    return f"part:{kind}:{pk}:{version}:{translation.get_language()}"


def _seminar_part(program, seminar) -> str:
    """The next seminar as everyone it is for sees it, shared like the activities: its
    agenda's Markdown is rendered once, not on each first view."""
    if seminar is None:
        return ""
    key = f"{_part_key('seminar', seminar.pk, program)}:{timezone.get_current_timezone_name()}"
    context = {"program": program, "seminar": seminar}
    return pages.fragments({key: partial(render_to_string, "learning/_seminar.html", context)})[key]


def _render_activity(program, state) -> str:
    """An unanswered activity as everyone sees it, its options in the program's order."""
    form = ResponseForm(activity=state.activity)
    context = {"program": program, "state": state, "form": form, "csrf_token": "-"}
    return render_to_string("learning/_activity.html", context)


def _render_recall(program, item) -> str:
    """A key point due, unanswered, as everyone sees it, its options in the program's order."""
    form = RecallForm(question=item.question)
    context = {"program": program, "item": item, "form": form, "csrf_token": "-"}
    return render_to_string("learning/_recall.html", context)


def _recall_form(item, enrollment, failed=None) -> RecallForm:
    if failed is not None and failed.question.pk == item.question.pk:
        return failed
    return RecallForm(question=item.question, shuffle_for=enrollment.pk)


@require_POST
@participant_page
def recall(request: HttpRequest, enrollment, question_id: int) -> HttpResponse:
    """A recall of a key point, from its form on *this week* or from the phone's outbox."""
    writer = request.headers.get("X-Writer")
    if writer is not None and writer != str(request.user.pk):
        return HttpResponse(status=403)
    question = get_object_or_404(
        RecallQuestion.objects.select_related("activity").filter(
            unit__program=enrollment.program, unit__published_at__isnull=False
        ),
        pk=question_id,
    )
    form = RecallForm(request.POST, question=question, shuffle_for=enrollment.pk)
    notice = ""
    if form.is_valid():
        try:
            recall_answer(enrollment=enrollment, question=question, **form.answer())
        except KeyConflict:
            form.add_error(
                None, _("This answer could not be saved. Reload the page and try again.")
            )
        except RecallNotDue:
            notice = _("You had answered this one already this week. It will come back later.")
    if form.errors:
        return _recall_refused(request, enrollment, question, form)
    if not _is_htmx(request):
        if notice:
            messages.info(request, notice)
        return redirect(f"{_url('learning:week', enrollment)}#recall-{question.pk}")
    item = next(
        (i for i in selectors.recall_items(enrollment=enrollment) if i.question.pk == question.pk),
        None,
    )
    if item is None:  # no longer this week's (a week opened meanwhile): nothing to show
        return HttpResponse(status=204)
    context = _base(enrollment) | {"item": item, "form": form, "notice": notice}
    return render(request, "learning/_recall.html", context)


def _recall_refused(request, enrollment, question, form) -> HttpResponse:
    """The key point again with why its answer is not stored."""
    items = selectors.recall_items(enrollment=enrollment)
    item = next((i for i in items if i.question.pk == question.pk), None)
    if _is_htmx(request) and item is not None:
        context = _base(enrollment) | {"item": item, "form": form}
        return render(request, "learning/_recall.html", context, status=400)
    unit = selectors.open_unit(enrollment=enrollment)
    if unit is None or item is None:
        return redirect(_url("learning:week", enrollment))
    return _unit_page(request, enrollment, unit, this_week=True, recall_failed=form, status=400)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _base(enrollment) -> dict:
    return {"enrollment": enrollment, "program": enrollment.program}


def _url(name: str, enrollment, **kwargs) -> str:
    program = enrollment.program
    return reverse(
        name, kwargs={"org": program.organization.slug, "program": program.slug} | kwargs
    )


@require_GET
@participant_page
def group(request: HttpRequest, enrollment) -> HttpResponse:
    """What the participant's group shared this week."""
    week = enrollment.program.week_at()
    shared = selectors.shared_with_group(enrollment=enrollment, week=week)
    mine = dict(
        Reaction.objects.filter(user=request.user, response__in=shared).values_list(
            "response_id", "kind"
        )
    )
    context = _base(enrollment) | {
        "shared": [(r, mine.get(r.pk)) for r in shared],
        "week": week,
        "kinds": Reaction.Kind.choices,
    }
    return render(request, "learning/group.html", context)


@require_POST
@participant_page
def react(request: HttpRequest, enrollment, response_id: int) -> HttpResponse:
    response = get_object_or_404(
        Response.objects.select_related("enrollment"),
        pk=response_id,
        enrollment__program=enrollment.program,
    )
    if not selectors.may_react(user=request.user, response=response):
        raise Http404
    if request.POST.get("kind") in Reaction.Kind.values:
        reaction_toggle(response=response, user=request.user, kind=request.POST["kind"])
    return redirect(f"{_url('learning:group', enrollment)}#shared-{response.pk}")


@require_http_methods(["GET", "POST"])
@ratelimit(key="user_or_ip", rate="10/h", method="POST")
@participant_page
def supporters(request: HttpRequest, enrollment) -> HttpResponse:
    """Invite and list supporters; listed by the address the participant typed, so an account
    the address may have (a name, in another organization) is never shown."""
    form = SupporterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supporter_invite(enrollment=enrollment, **form.cleaned_data)
        except SupporterLimit:
            form.add_error(
                None,
                _("You have %(limit)s supporters already. Remove one to invite another.")
                % {"limit": Supporter.LIMIT},
            )
        else:
            messages.success(request, _("The invitation is on its way."))
            return redirect(_url("learning:supporters", enrollment))
    context = _base(enrollment) | {
        "form": form,
        "listing": enrollment.supporters.select_related("user"),
        "limit": Supporter.LIMIT,
    }
    return render(request, "learning/supporters.html", context, status=400 if form.errors else 200)


@require_POST
@participant_page
def supporter_remove_view(request: HttpRequest, enrollment, supporter_id: int) -> HttpResponse:
    supporter_remove(supporter=get_object_or_404(enrollment.supporters, pk=supporter_id))
    messages.success(request, _("The supporter no longer sees what you share."))
    return redirect(_url("learning:supporters", enrollment))


@require_GET
@login_required
def supporting(request: HttpRequest) -> HttpResponse:
    """What the people this person supports have shared with their supporters."""
    shared = selectors.shared_with_supporter(user=request.user)
    return render(request, "learning/supporting.html", {"shared": shared, "form": FeedbackForm()})


@require_POST
@login_required
def supporter_reply(request: HttpRequest, response_id: int) -> HttpResponse:
    response = get_object_or_404(Response.objects.select_related("enrollment"), pk=response_id)
    if not selectors.may_reply(user=request.user, response=response):
        raise Http404
    form = FeedbackForm(request.POST)
    if form.is_valid():
        feedback_give(response=response, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Your reply is sent."))
    else:
        messages.error(request, _("Write a reply before you send it."))
    return redirect(f"{reverse('learning:supporting')}#shared-{response.pk}")
