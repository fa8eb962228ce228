"""What each nudge says: subject, text and HTML for e-mail, a title and a line for push.

Rendered in the person's language (their own choice, else the organization's) and time zone,
in the organization's colours, with links that sign the person in.
"""

import datetime as dt
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pocketmentor.accounts.services import login_link_url
from pocketmentor.insights.selectors import Point, weekly
from pocketmentor.insights.services import figures_current
from pocketmentor.learning.models import Response
from pocketmentor.learning.selectors import FOR_FACILITATORS, recall_due_counts
from pocketmentor.nudges.models import Nudge, Preference
from pocketmentor.nudges.preferences import preferences_url
from pocketmentor.nudges.rules import rules_map, zone_of
from pocketmentor.programs.calendar import seminar_ics
from pocketmentor.programs.models import Activity, Program

TEXT_KINDS = [Activity.Kind.REFLECTION, Activity.Kind.TASK]


@dataclass
class Message:
    subject: str
    text: str
    html: str
    title: str  # of the notification
    body: str
    url: str  # where the notification leads
    attachments: list[tuple[str, str, str]] = field(default_factory=list)
    # A person's message keeps the message shared by everyone who gets the same text, and what
    # replaces each stand-in in its text and HTML: the e-mail is then built once for all of
    # them and filled in (channels.EmailChannel.send_nudge).
    shared: "Message | None" = None
    text_values: dict[str, str] = field(default_factory=dict)
    html_values: dict[str, str] = field(default_factory=dict)


@dataclass
class Digest:
    program: Program
    week: int
    enrolled: int
    active: int
    last_week_rate: int | None
    shared: list[Response]
    shared_count: int

    @property
    def rate(self) -> int:
        return round(100 * self.active / self.enrolled) if self.enrolled else 0


def language_of(nudge: Nudge) -> str:
    return nudge.person.language or nudge.program.organization.language


# Stand-ins for what differs between recipients of the same message: the message is rendered
# once per language and time zone, then each person's name and links are put in.
_PERSONAL = {
    "name": "\x00name\x00",
    "login_url": "\x00login\x00",
    "preferences_url": "\x00prefs\x00",
}
RECALL = "\x00recall\x00"  # a release's line about the person's key points due, or nothing


class Renderer:
    """Renders nudges, once for all recipients who get the same text (a release to 100,000
    people is rendered per language and time zone), and digest figures once per program."""

    def __init__(self, *, now: dt.datetime | None = None):
        self.now = now or timezone.now()
        self._digests: dict[tuple[int, int], Digest] = {}
        self._shared: dict[tuple, Message] = {}
        self._recall: dict[tuple[int, int], dict[int, int]] = {}

    def render(self, nudge: Nudge, preference: Preference | None = None) -> Message:
        zone = zone_of(preference, nudge.program)
        language = language_of(nudge)
        about = (nudge.kind, nudge.program_id, nudge.unit_id, nudge.seminar_id, nudge.feedback_id)
        key = (*about, nudge.week, language, str(zone))
        if key not in self._shared:
            with translation.override(language), timezone.override(zone):
                self._shared[key] = self._render(nudge)
        shared = self._shared[key]
        person = {
            "name": nudge.person.get_short_name(),
            "login_url": login_link_url(user=nudge.person),
            "preferences_url": preferences_url(nudge.person),
        }
        text, html, body = shared.text, shared.html, shared.body
        text_values = {_PERSONAL[name]: value for name, value in person.items()}
        html_values = {_PERSONAL[name]: escape(value) for name, value in person.items()}
        if RECALL in text or RECALL in html or RECALL in body:
            with translation.override(language):
                line = self._recall_line(nudge)
            text_values[RECALL] = f"{line}\n" if line else ""
            html_values[RECALL] = f"<p>{escape(line)}</p>" if line else ""
            body = body.replace(RECALL, f" {line}" if line else "")
        for stand_in, value in text_values.items():
            text = text.replace(stand_in, value)
        for stand_in, value in html_values.items():
            html = html.replace(stand_in, value)
        return replace(
            shared, text=text, html=html, body=body, shared=shared,
            text_values=text_values, html_values=html_values,
        )  # fmt: skip

    def _recall_line(self, nudge: Nudge) -> str:
        """ "You also have 2 key points to recall": counted once per program and week."""
        program = nudge.program
        week = nudge.unit.number if nudge.unit_id else program.week_at(self.now)
        if (program.pk, week) not in self._recall:
            moment = max(self.now, program.opens_at(week))
            self._recall[program.pk, week] = recall_due_counts(program=program, moment=moment)
        count = self._recall[program.pk, week].get(nudge.person_id, 0)
        if not count:
            return ""
        return ngettext(
            "You also have %(count)s key point to recall.",
            "You also have %(count)s key points to recall.",
            count,
        ) % {"count": count}

    def _render(self, nudge: Nudge) -> Message:
        context = self._context(nudge)
        context.update(getattr(self, f"_{nudge.kind}")(nudge, context))
        return Message(
            subject=context["subject"],
            text=render_to_string(f"nudges/email/{nudge.kind}.txt", context),
            html=render_to_string(f"nudges/email/{nudge.kind}.html", context),
            title=context.get("title", nudge.program.title),
            body=context["body"],
            url=context["page_url"],
            attachments=context.get("attachments", []),
        )

    def _context(self, nudge: Nudge) -> dict:
        program = nudge.program
        org = program.organization
        return _PERSONAL | {
            "org": org,
            "brand": org.brand_primary,
            "program": program,
            "page_url": settings.SITE_URL + reverse("learning:week", args=[org.slug, program.slug]),
            "LANGUAGE_CODE": translation.get_language(),
        }

    def _release(self, nudge: Nudge, context: dict) -> dict:
        unit = nudge.unit
        subject = _("Week %(number)s is open: %(title)s") % {
            "number": unit.number,
            "title": unit.title,
        }
        return {"unit": unit, "subject": subject, "body": subject + RECALL, "recall": RECALL}

    def _reminder(self, nudge: Nudge, context: dict) -> dict:
        unit = nudge.unit
        return {
            "unit": unit,
            "closes_at": nudge.program.opens_at(unit.number + 1),
            "subject": _("Five minutes for week %(number)s?") % {"number": unit.number},
            "body": _("Week %(number)s is waiting for you: %(title)s")
            % {
                "number": unit.number,
                "title": unit.title,
            },
        }

    def _feedback(self, nudge: Nudge, context: dict) -> dict:
        feedback = nudge.feedback
        author = feedback.author.get_short_name()
        org, program = nudge.program.organization, nudge.program
        url = reverse("learning:reflections", args=[org.slug, program.slug])
        return {
            "author": author,
            "unit": nudge.unit,
            "page_url": settings.SITE_URL + url,
            "subject": _("%(author)s replied to your reflection") % {"author": author},
            "body": _("%(author)s replied to your reflection") % {"author": author},
        }

    def _seminar(self, nudge: Nudge, context: dict) -> dict:
        seminar = nudge.seminar
        starts = formats.date_format(timezone.localtime(seminar.starts_at), "DATETIME_FORMAT")
        ics = seminar_ics(seminar, now=self.now)
        attachments = [("seminar.ics", ics, "text/calendar; method=PUBLISH")]
        return {
            "seminar": seminar,
            "subject": _("Seminar %(date)s: %(title)s")
            % {
                "date": formats.date_format(timezone.localtime(seminar.starts_at), "j. F"),
                "title": seminar.title,
            },
            "body": _("%(title)s starts %(when)s") % {"title": seminar.title, "when": starts},
            "attachments": attachments,
        }

    def _digest(self, nudge: Nudge, context: dict) -> dict:
        """The organization's week in one message: every live program that sends digests,
        the one that planned it first."""
        lead, org = nudge.program, nudge.program.organization
        digests = [self.digest(lead, nudge.week)]
        for program in digest_programs(org.pk, now=self.now):
            if program.pk != lead.pk:
                digests.append(self.digest(program, program_week(program, self.now)))
        feed = reverse("shared:feed", args=[org.slug, lead.slug])
        if len(digests) == 1:
            subject = _("Week %(week)s of %(program)s: %(rate)s%% active") % {
                "week": digests[0].week,
                "program": lead.title,
                "rate": digests[0].rate,
            }
        else:
            rates = [
                _("%(program)s: %(rate)s%% active") % {"program": d.program.title, "rate": d.rate}
                for d in digests
            ]
            subject = _("This week in %(programs)s") % {"programs": ", ".join(rates)}
        return {
            "digests": digests,
            "feed_url": settings.SITE_URL + feed,
            "page_url": settings.SITE_URL + feed,
            "subject": subject,
            "body": subject,
        }

    def digest(self, program: Program, week: int) -> Digest:
        if (program.pk, week) not in self._digests:
            self._digests[program.pk, week] = digest_of(program, week, now=self.now)
        return self._digests[program.pk, week]


def digest_programs(organization_id: int, *, now: dt.datetime) -> list[Program]:
    """The organization's live programs a digest covers: digests on, a week already open."""
    programs = list(
        Program.objects.filter(organization_id=organization_id, state=Program.State.LIVE)
        .select_related("organization")
        .order_by("start_date", "pk")
    )
    rules = rules_map(programs)
    return [p for p in programs if rules[p.pk].digests and program_week(p, now) >= 1]


def program_week(program: Program, now: dt.datetime) -> int:
    """The week a digest reports: the one open now, or the last published one."""
    last = program.units.published().order_by("-number").values_list("number", flat=True).first()
    return min(program.week_at(now), last or 0)


def digest_of(program: Program, week: int, *, now: dt.datetime) -> Digest:
    """Engagement in a program week so far, last week's rate, and what was newly shared.

    The figures are the dashboard's (insights), so the e-mail and the page never disagree.
    """
    figures_current(program=program, now=now)
    points = {point.week: point for point in weekly(program=program)}
    this, last = points.get(week, Point(week)), points.get(week - 1)
    shared = (
        Response.objects.filter(
            FOR_FACILITATORS,  # shared with them, or with a group they see
            enrollment__program=program,
            enrollment__is_active=True,
            activity__kind__in=TEXT_KINDS,
            created_at__gte=now - dt.timedelta(days=7),
        )
        .exclude(text="")
        .select_related("enrollment__user", "activity__unit")
        .order_by("-created_at")
    )
    return Digest(
        program=program,
        week=week,
        enrolled=this.enrolled,
        active=this.active,
        last_week_rate=last.percent if last else None,
        shared=list(shared[:10]),
        shared_count=shared.count(),
    )
