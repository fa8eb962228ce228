"""A participant's rendered pages, kept until something on them changes.

Rendering a unit page takes about 15 ms; serving a kept one, a tenth of that. A page is
kept under a key made of the versions of what it shows: the enrollment's `pages_version`,
which the learning services raise when the participant's answers, or the feedback and
reactions on them, change; and the organization's, which any write its staff make in the
studio (or anyone in the admin) raises. One query reads both with the enrollment, so a kept
page is never served after such a change, whichever process made it. Each process keeps its
own pages, or, with Redis, all processes share them, also across a restart; they are stored
compressed (about 4 KB each) in a cache bounded by memory (lib/caches.py, PAGES_CACHE_MB).

A kept page also expires: when it would change with time (the next week opens, the
seminar it shows ends), and after `LONGEST` at most. Writes outside a studio request raise the
versions too (an import from the command line or in a worker, a person's erasure); `LONGEST`
bounds what a change made around the services (a shell, the database by hand) could leave, and
is long enough that a morning's kept pages outlive the morning. Every serving gets a CSRF token
and fresh idempotency keys of its own, and the current counts of the polls the page shows: the
page keeps a slot where each poll's counts go, and the person's answer beside it, and each
serving fills the slots from the counts of each poll (`with_counts`: one read of the cache for
them all, counted afresh once a minute), so a page showing poll counts is kept as long as any.
"""

import datetime as dt
import functools
import re
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import Context
from django.template.context import make_context
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from pocketmentor.learning import selectors, shared, tracking
from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.templatetags.learning_parts import PARTS, PersonalNode
from pocketmentor.orgs.models import Organization

LONGEST = 6 * 3600  # seconds: six hours

# Marks where a kept page's token and keys go; forms refuse NUL, so no page text has one.
TOKEN_MARK, KEY_MARK = "\0token\0", "\0key\0"
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')
KEY = re.compile(r'(name="[ar]\d+-key" value=")[0-9a-f-]{36}"')  # activities' and recalls'


class Kept(NamedTuple):
    """A page as kept: what `cached` needs to serve it."""

    unit_id: int
    page: bytes  # its HTML, with marks where each serving's token, keys and counts go
    expires: float  # the moment (time.time()) it may be served until
    polls: tuple  # selectors.PollAnswer of each poll whose counts it shows
    day: str  # the day it was rendered (`tracking.today()`): its opening was recorded then


def touch(*, enrollment_id: int) -> None:
    """Something on this participant's pages changed: render them afresh."""
    Enrollment.objects.filter(pk=enrollment_id).update(pages_version=F("pages_version") + 1)


def touch_organization(*, slug: str | None = None) -> None:
    """Staff changed something: render the organization's (or every) participant pages."""
    organizations = (
        Organization.objects.all() if slug is None else Organization.objects.filter(slug=slug)
    )
    organizations.update(pages_version=F("pages_version") + 1)


def keep(
    response: HttpResponse,
    *,
    unit_id: int,
    until: dt.datetime | None = None,
    polls: Sequence[selectors.PollAnswer] = (),
):
    """Let `cached` keep this page of unit `unit_id`, until `until` at the latest, with the
    slots of the `polls` it shows left for the counts current when it is served; fill them."""
    html = response.content.decode()
    response.kept = (unit_id, until, tuple(polls), html)
    if polls:
        response.content = with_counts(html, polls)
    return response


def with_counts(html: str, polls: Sequence[selectors.PollAnswer]) -> str:
    """The page with each poll's slot filled with its current counts beside the person's answer
    (`selectors.poll_counts`: one read of the cache, and a query or two once a minute)."""
    counted = selectors.poll_counts(list(polls))
    language = translation.get_language()
    for poll in polls:
        _answers, shares = selectors.poll_shares(poll, counted[poll.activity_id])
        results = _poll_results(language, tuple(shares), settings.POLL_MIN_ANSWERS)
        html = html.replace(selectors.POLL_SLOT.format(poll.activity_id), results)
    return html


@functools.lru_cache(maxsize=4096)
def _poll_results(language: str | None, shares: tuple, min_answers: int) -> str:
    """A poll's counts as shown, rendered once per shares and language and kept by each
    process: a kept page with a poll rendered them at every serving."""
    context = {"distribution": shares, "min_answers": min_answers}
    return get_template("learning/_poll_results.html").render(context)


def cached(view):
    """Serve a participant page as kept when it is; keep it when the view allows.

    Goes around `participant_page`: a kept page needs one query, not the enrollment's.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, program: str, **kwargs) -> HttpResponse:
        found = _key(request, org, program)
        key = found[1] if found else None
        kept = _pages().get(key) if key else None
        # A unit's first view in a day is recorded (insights), so it is rendered; a page
        # rendered today was, without asking. The page's own expiry is checked here too:
        # Redis expires keys by its own clock. A page kept by an older release is rendered.
        if (
            isinstance(kept, Kept)
            and found
            and kept.expires > time.time()
            and (kept.day == tracking.today() or tracking.seen(found[0], kept.unit_id))
        ):
            html = zlib.decompress(kept.page).decode()
            if kept.polls:
                html = with_counts(html, kept.polls)
            return HttpResponse(_fill(request, html))
        # With Redis, the view's "opened" note goes with the page it keeps: one round trip.
        views = tracking.note_later(request)
        try:
            response = view(request, org, program, **kwargs)
            if key and response.status_code == 200 and hasattr(response, "kept"):
                _keep(key, *response.kept, views)
        finally:
            tracking.note(views)  # those not noted with the page
        return response

    return wrapper


def _keep(key: str, unit_id: int, until, polls, html: str, views: list) -> None:
    """Keep a page rendered (until `until` at the latest), noting its views in the same
    round trip when the pages are in Redis."""
    seconds = LONGEST
    if until is not None:
        seconds = min(seconds, (until - timezone.now()).total_seconds())
    if seconds < 1:
        return
    page = zlib.compress(_blank(html).encode(), 1)
    kept = Kept(unit_id, page, time.time() + seconds, polls, tracking.today())
    store_with = getattr(_pages(), "set_with_scripts", None)
    if store_with is not None and views:
        store_with(key, kept, int(seconds), tracking.note_scripts(views))
    else:
        _pages().set(key, kept, int(seconds))


def _pages():
    return caches["pages"]


def _key(request: HttpRequest, org: str, program: str) -> tuple[int, str] | None:
    """The enrollment and what the page depends on; None when it must be rendered (a query,
    messages to show)."""
    if not request.user.is_authenticated or request.GET or len(get_messages(request)):
        return None
    found = selectors.page_versions(user=request.user, org_slug=org, program_slug=program)
    if found is None:
        return None  # not theirs: the view answers
    request.page_versions = found  # the view's enrollment, if it renders (participant_page)
    translation.activate(request.user.language or found.language)  # as participant_page
    language = translation.get_language()
    return found.enrollment_id, f"{found.enrollment_id}.{found.version}.{language}.{request.path}"


def _blank(html: str) -> str:
    return KEY.sub(rf'\1{KEY_MARK}"', TOKEN.sub(rf'\1{TOKEN_MARK}"', html))


def _fill(request: HttpRequest, html: str) -> str:
    parts = html.replace(TOKEN_MARK, get_token(request)).split(KEY_MARK)
    keys = (str(uuid.uuid4()) for _ in parts[1:])
    return parts[0] + "".join(key + part for key, part in zip(keys, parts[1:], strict=True))


FRAGMENT_SECONDS = 60  # as long as the unit's content is shared (selectors.open_unit)


def fragments(wanted: dict[str, Callable[[], str]]) -> dict[str, SafeString]:
    """Parts of pages that are the same for everyone: kept, else rendered by `wanted[key]`.

    A part is kept under its key (which names what it shows: the item, the organization's
    `pages_version`, the language, the order of its options), shared like the pages, with its
    CSRF token and idempotency keys left blank: `fill` gives each serving its own. One read
    of the cache for them all, and one write for those rendered.
    """
    if not wanted:
        return {}
    found = shared.get_many(list(wanted))
    rendered = {key: _blank(render()) for key, render in wanted.items() if key not in found}
    if rendered:
        shared.set_many(rendered, FRAGMENT_SECONDS)
    return {key: mark_safe(found[key] if key in found else rendered[key]) for key in wanted}  # noqa: S308


# An option of a shared part's question, as `choice_input` and the templates write it.
OPTION = re.compile(
    r'<label class="choice"><input type="(?:radio|checkbox)" name="(?P<name>[ar]\d+-choice)"'
    r' value="(?P<pk>\d+)" id="id_(?P=name)_(?P<index>\d+)"[^>]*>[^<]*</label>'
)


def in_order(part: SafeString, name: str, order: list[int]) -> SafeString | None:
    """A shared part with the options of field `name` in a person's `order`, as if rendered
    so; None when they are not found side by side, so that the part is rendered instead."""
    found = [m for m in OPTION.finditer(part) if m.group("name") == name]
    by_pk = {int(m.group("pk")): m for m in found}
    start, end = (found[0].start(), found[-1].end()) if found else (0, 0)
    if sorted(by_pk) != sorted(order) or part[start:end] != "".join(m[0] for m in found):
        return None
    options = "".join(
        by_pk[pk][0].replace(f'id="id_{name}_{by_pk[pk]["index"]}"', f'id="id_{name}_{i}"', 1)
        for i, pk in enumerate(order)
    )
    return mark_safe(part[:start] + options + part[end:])  # noqa: S308 - parts of a safe part


def fill(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Give a page with kept parts its CSRF token and its own idempotency keys."""
    html = response.content.decode()
    if TOKEN_MARK in html or KEY_MARK in html:
        response.content = _fill(request, html)
    return response


PART = re.compile("\0part:([a-z]+)\0")


def assembled(request: HttpRequest, name: str, context: dict, *, key: str) -> HttpResponse:
    """Template `name` rendered once for everyone as a shell, kept under `key` (which names
    all it shows), with this person's `{% personal %}` parts rendered alone and put in."""
    page = get_template(name)
    shell = shared.get(key)
    if shell is None:
        shell = _blank(page.render(context | {PARTS: {}}, request))
        shared.set(key, shell, FRAGMENT_SECONDS)
    nodes = _personal_nodes(page.template)
    bound = make_context(context, request)
    with bound.bind_template(page.template):
        parts = {name: node.nodelist.render(bound) for name, node in nodes.items()}
    return HttpResponse(PART.sub(lambda found: parts[found[1]], shell))


@functools.lru_cache(maxsize=32)
def _personal_nodes(template) -> dict[str, PersonalNode]:
    """The personal parts of a template and those it extends, the most derived first."""
    nodes: dict[str, PersonalNode] = {}
    while template is not None:
        for node in template.nodelist.get_nodes_by_type(PersonalNode):
            nodes.setdefault(node.name, node)
        extends = template.nodelist.get_nodes_by_type(ExtendsNode)
        parent = extends[0].parent_name.resolve(Context()) if extends else None
        template = template.engine.get_template(parent) if parent else None
    return nodes


class StaffWritesMiddleware:
    """A write in the studio or the admin may change what participants see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method != "POST" or response.status_code >= 400:
            return response
        match = request.resolver_match
        if match is not None and getattr(match.func, "reads_only", False):
            return response
        if request.path.startswith("/studio/") and match and "org" in match.kwargs:
            touch_organization(slug=match.kwargs["org"])
        elif request.path.startswith("/admin/"):
            touch_organization()
        return response


def content_changed(sender, *, organization, **kwargs) -> None:
    """Staff changed an organization's content outside a studio request (programs.signals)."""
    touch_organization(slug=organization.slug)
