"""xAPI 1.0.3 statements: the verbs, the activity IRIs and how a statement is put together.

Statements name people only by an account on this installation (`SITE_URL`, the person's
id): no name, no e-mail. They never carry what a participant wrote, not even what they
shared: only that they answered, completed or shared it.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings

VERSION = "1.0.3"
PLATFORM = "Pocketmentor"
SEPARATOR = "[,]"  # between several chosen options in result.response, as xAPI does


class Verb(NamedTuple):
    iri: str
    display: str  # en-US, as the ADL vocabulary shows it


# From the ADL vocabulary (http://adlnet.gov/expapi/verbs/ and https://w3id.org/xapi/adl/)
# where it has a verb; it has none for reacting, so that one is Activity Streams' "like".
LOGGED_IN = Verb("https://w3id.org/xapi/adl/verbs/logged-in", "logged-in")
LAUNCHED = Verb("http://adlnet.gov/expapi/verbs/launched", "launched")  # opened a unit
EXPERIENCED = Verb("http://adlnet.gov/expapi/verbs/experienced", "experienced")  # read the cards
ANSWERED = Verb("http://adlnet.gov/expapi/verbs/answered", "answered")  # reflection, quiz, poll
COMPLETED = Verb("http://adlnet.gov/expapi/verbs/completed", "completed")  # checked in a task
SHARED = Verb("http://adlnet.gov/expapi/verbs/shared", "shared")
COMMENTED = Verb("http://adlnet.gov/expapi/verbs/commented", "commented")  # gave feedback
LIKED = Verb("http://activitystrea.ms/schema/1.0/like", "liked")  # reacted
VERBS = {v.iri: v for v in (LOGGED_IN, LAUNCHED, EXPERIENCED, ANSWERED, COMPLETED, SHARED,
                            COMMENTED, LIKED)}  # fmt: skip

COURSE = "http://adlnet.gov/expapi/activities/course"
MODULE = "http://adlnet.gov/expapi/activities/module"
MEDIA = "http://adlnet.gov/expapi/activities/media"
QUESTION = "http://adlnet.gov/expapi/activities/question"
PERFORMANCE = "http://adlnet.gov/expapi/activities/performance"


def iri(path: str) -> str:
    """An IRI under this installation: `{SITE_URL}/xapi/<path>`."""
    return f"{settings.SITE_URL}/xapi/{path}"


def extension(name: str) -> str:
    return iri(f"extensions/{name}")


def program_iri(program_id: int) -> str:
    return iri(f"activities/program/{program_id}")


def unit_iri(unit_id: int) -> str:
    return iri(f"activities/unit/{unit_id}")


def cards_iri(unit_id: int) -> str:
    return iri(f"activities/unit/{unit_id}/cards")


def activity_iri(activity_id: int) -> str:
    return iri(f"activities/activity/{activity_id}")


RECALL_PATH = "activities/recall/"


def recall_iri(question_id: int) -> str:
    """A key point recalled: its own activity, apart from a quiz it may reuse."""
    return iri(f"{RECALL_PATH}{question_id}")


def kind_of(object_iri: str) -> str:
    """The counted kind of a record that names no activity: a recall, or nothing."""
    return "recall" if f"/xapi/{RECALL_PATH}" in object_iri else ""


def account(name: str) -> dict:
    return {"homePage": settings.SITE_URL, "name": name}


def agent(name: str) -> dict:
    return {"objectType": "Agent", "account": account(name)}


def timestamp(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as xAPI recommends."""
    text = moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


@dataclass(frozen=True)
class Target:
    """What a statement is about: an activity, with where it sits in the program."""

    iri: str
    definition: dict
    unit_id: int | None = None  # the unit it belongs to (or is)
    activity_id: int | None = None
    kind: str = ""  # an activity's kind: reflection, task, quiz, poll
    parent: dict | None = field(default=None, compare=False)  # the unit, as an Activity


def _activity(iri_: str, definition: dict) -> dict:
    return {"objectType": "Activity", "id": iri_, "definition": definition}


def _name(text: str, language: str) -> dict:
    return {language: text[:200]}


def program_target(program) -> Target:
    return Target(
        program_iri(program.pk), {"type": COURSE, "name": _name(program.title, program.language)}
    )


def unit_activity(unit, language: str) -> dict:
    name = _name(f"{unit.number}. {unit.title}", language)
    return _activity(unit_iri(unit.pk), {"type": MODULE, "name": name})


def unit_target(unit, language: str) -> Target:
    object_ = unit_activity(unit, language)
    return Target(object_["id"], object_["definition"], unit_id=unit.pk)


def cards_target(unit, language: str) -> Target:
    return Target(
        cards_iri(unit.pk),
        {"type": MEDIA},
        unit_id=unit.pk,
        parent=unit_activity(unit, language),
    )


CHOICE = "choice"
SCORE_RIGHT = {"scaled": 1.0, "raw": 1, "min": 0, "max": 1}
SCORE_WRONG = {"scaled": 0.0, "raw": 0, "min": 0, "max": 1}
# A self-rated recall's choices, FSRS's names as ids, described in both languages.
RATINGS = {
    "again": {"en": "I did not remember", "nb": "Jeg husket det ikke"},
    "hard": {"en": "With difficulty", "nb": "Med nød og neppe"},
    "good": {"en": "I remembered", "nb": "Jeg husket det"},
    "easy": {"en": "Easily", "nb": "Lett"},
}


def interaction(activity, options, language: str) -> dict:
    """A quiz's or poll's xAPI interaction: a choice among its options (their ids), or among
    the points of a scale; a quiz with its right answer as the correct response pattern."""
    if activity.is_scale:
        low, high = activity.scale[0], activity.scale[-1]
        ends = {low: activity.scale_low, high: activity.scale_high}
        choices = [
            {
                "id": str(n),
                "description": {language: f"{n} {ends[n]}".strip()[:200] if n in ends else str(n)},
            }
            for n in activity.scale
        ]
        return {"interactionType": CHOICE, "choices": choices}
    definition: dict = {
        "interactionType": CHOICE,
        "choices": [
            {"id": str(o.pk), "description": _name(o.text or str(o.pk), language)} for o in options
        ],
    }
    if activity.kind == "quiz":
        right = sorted(o.pk for o in options if o.is_correct)
        definition["correctResponsesPattern"] = [SEPARATOR.join(map(str, right))]
    return definition


def activity_target(activity, unit, language: str, options=None) -> Target:
    """An activity; with `options` (a list, empty for a scale), a quiz or poll answered
    carries its interaction."""
    kind = activity.kind
    definition: dict = {"type": PERFORMANCE if kind == "task" else QUESTION}
    if options is not None and kind in ("quiz", "poll"):
        definition |= interaction(activity, options, language)
    return Target(
        activity_iri(activity.pk),
        definition,
        unit_id=unit.pk,
        activity_id=activity.pk,
        kind=kind,
        parent=unit_activity(unit, language),
    )


def recall_target(question, unit, language: str, options=None) -> Target:
    """A recall of a key point; the repetition goes in the statement's context extensions.
    A quiz reused is a choice among its `options`; else among the self-ratings."""
    definition = {"type": QUESTION, "name": _name(question.question_text, language)}
    if options is not None and question.activity_id is not None:
        definition |= interaction(question.activity, options, language)
    elif question.activity_id is None:
        choices = [{"id": word, "description": dict(text)} for word, text in RATINGS.items()]
        definition |= {"interactionType": CHOICE, "choices": choices}
    return Target(
        recall_iri(question.pk),
        definition,
        unit_id=unit.pk,
        kind="recall",
        parent=unit_activity(unit, language),
    )


def build(
    *,
    id: str,
    actor: str,
    verb: Verb,
    target: Target,
    moment: dt.datetime,
    stored: dt.datetime,
    program,
    group=None,
    week: int | None = None,
    result: dict | None = None,
    extensions: dict | None = None,
) -> dict:
    """A complete statement, with what an LRS sets when it stores one (stored, authority)."""
    language = program.language
    context: dict = {"platform": PLATFORM, "language": language}
    activities: dict = {}
    if target.iri != program_iri(program.pk):
        activities["grouping"] = [_activity(*_program_parts(program))]
    if target.parent is not None:
        activities["parent"] = [target.parent]
    if activities:
        context["contextActivities"] = activities
    if group is not None:
        context["team"] = {
            "objectType": "Group",
            "name": group.name,
            "account": account(f"group/{group.pk}"),
        }
    context_extensions = {extension("week"): week} if week else {}
    context_extensions |= extensions or {}
    if context_extensions:
        context["extensions"] = context_extensions
    statement = {
        "id": id,
        "actor": agent(actor),
        "verb": {"id": verb.iri, "display": {"en-US": verb.display}},
        "object": _activity(target.iri, target.definition),
        "context": context,
        "timestamp": timestamp(moment),
        "stored": timestamp(stored),
        "authority": agent("pocketmentor"),
        "version": VERSION,
    }
    if result:
        statement["result"] = result
    return statement


def _program_parts(program) -> tuple[str, dict]:
    target = program_target(program)
    return target.iri, target.definition


def for_lrs(statement: dict) -> dict:
    """The statement as sent to another LRS: it sets `stored` and `authority` itself."""
    return {k: v for k, v in statement.items() if k not in ("stored", "authority")}


def ids_only(statement: dict) -> dict:
    """The `format=ids` form: identifiers only, with no definitions, displays or names."""
    statement = dict(statement)
    statement["object"] = {k: v for k, v in statement["object"].items() if k != "definition"}
    statement["verb"] = {"id": statement["verb"]["id"]}
    if "context" in statement:
        context = dict(statement["context"])
        if "contextActivities" in context:
            context["contextActivities"] = {
                key: [{"objectType": "Activity", "id": a["id"]} for a in items]
                for key, items in context["contextActivities"].items()
            }
        if "team" in context:
            context["team"] = {k: v for k, v in context["team"].items() if k != "name"}
        statement["context"] = context
    return statement
