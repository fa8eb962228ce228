"""Staff pages of the participant side: the feed of what was shared with facilitators."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pocketmentor.learning import selectors
from pocketmentor.learning.forms import FeedbackForm
from pocketmentor.learning.models import Response
from pocketmentor.learning.services import feedback_give
from pocketmentor.orgs.permissions import AUTHORS, staff_page


@require_GET
@staff_page(AUTHORS)
def shared_feed(request: HttpRequest, organization, program) -> HttpResponse:
    context = {
        "org": organization,
        "program": program,
        "shared": selectors.shared_with_facilitators(program=program),
        "form": FeedbackForm(),
    }
    return render(request, "learning/shared_feed.html", context)


@require_POST
@staff_page(AUTHORS)
def shared_reply(request: HttpRequest, organization, program, response_id: int) -> HttpResponse:
    response = get_object_or_404(
        Response.objects.select_related("enrollment__program"),
        pk=response_id,
        enrollment__program=program,
    )
    if not selectors.may_reply(user=request.user, response=response):
        raise Http404  # taken back by its writer, or never shared with facilitators
    form = FeedbackForm(request.POST)
    if form.is_valid():
        feedback_give(response=response, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Your reply is sent."))
    else:
        messages.error(request, _("Write a reply before you send it."))
    feed = reverse("shared:feed", args=[organization.slug, program.slug])
    return redirect(f"{feed}#shared-{response.pk}")
