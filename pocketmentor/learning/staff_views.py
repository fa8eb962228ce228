"""Staff pages of the participant side: the feed of what the facilitators see."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pocketmentor.learning import selectors
from pocketmentor.learning.forms import FeedbackForm, ResponseForm
from pocketmentor.learning.models import Response
from pocketmentor.learning.services import feedback_give
from pocketmentor.orgs.permissions import AUTHORS, staff_page
from pocketmentor.programs.models import Program

# What higher apps show above the feed (insights: the themes of what was shared), each a
# function of the program and the group and week filtered on (or None) that returns HTML;
# registered when those apps are ready.
FEED_SECTIONS: list[Callable[[Program, int | None, int | None], str]] = []


def _where(program, query: QueryDict) -> tuple[selectors.FeedFilters, str]:
    """The feed's filters and page from GET parameters (or a reply's `back`), and the list's
    query string that keeps them; rebuilt from what was understood, never copied."""
    filters = selectors.FeedFilters.from_query(query, program=program)
    page = query.get("page", "")
    params = filters.query() | ({"page": page} if page.isdigit() else {})
    return filters, urlencode(params)


@require_GET
@staff_page(AUTHORS)
def shared_feed(request: HttpRequest, organization, program) -> HttpResponse:
    filters, here = _where(program, request.GET)
    page = selectors.facilitator_feed(
        program=program, filters=filters, page=request.GET.get("page", 1)
    )
    context = {
        "org": organization,
        "program": program,
        "page": page,
        "filters": filters,
        "params": urlencode(filters.query()),
        "here": here,
        "groups": list(program.groups.all()),
        "weeks": list(program.units.order_by("number").values_list("number", flat=True)),
        "sections": [
            mark_safe(section(program, filters.group, filters.week))  # noqa: S308 - our templates
            for section in FEED_SECTIONS
        ],
    }
    return render(request, "learning/shared_feed.html", context)


@require_POST
@staff_page(AUTHORS)
def shared_reply(request: HttpRequest, organization, program, response_id: int) -> HttpResponse:
    """Feedback written in the feed: with htmx the item comes back with it, in place;
    without, back to the same filtered page of the list, at the item."""
    response = get_object_or_404(
        Response.objects.select_related("enrollment__program"),
        pk=response_id,
        enrollment__program=program,
    )
    if not selectors.may_reply(user=request.user, response=response):
        raise Http404  # taken back by its writer, or never shared with facilitators
    form = FeedbackForm(request.POST)
    error = "" if form.is_valid() else " ".join(e for errs in form.errors.values() for e in errs)
    if not error:
        feedback_give(response=response, author=request.user, text=form.cleaned_data["text"])
    here = _where(program, QueryDict(request.POST.get("back", "")))[1]
    if request.headers.get("HX-Request") == "true":
        item = selectors.shared_item(program=program, pk=response.pk)
        context = {"org": organization, "program": program, "response": item, "here": here,
                   "error": error, "sent": not error}  # fmt: skip
        return render(request, "learning/_feed_item.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your reply is sent."))
    feed = reverse("shared:feed", args=[organization.slug, program.slug])
    return redirect(f"{feed}{'?' + here if here else ''}#shared-{response.pk}")


@require_GET
@staff_page(AUTHORS)
def unit_preview(request: HttpRequest, organization, program, number: int) -> HttpResponse:
    """A week as its participants will see it, draft or published; nothing can be answered."""
    unit = selectors.unit_preview(program=program, number=number)
    if unit is None:
        raise Http404
    states = [selectors.ActivityState(activity=a) for a in unit.activities.all()]
    context = {
        "org": organization,
        "program": program,
        "unit": unit,
        "items": [(s, ResponseForm(activity=s.activity), None) for s in states],
        "done": 0,
        "preview": True,
    }
    return render(request, "learning/preview.html", context)
