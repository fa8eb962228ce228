"""A checker of the xAPI 1.0.3 rules for a statement's properties and their formats.

It covers what the specification requires of the statements Pocketmentor writes (Data,
section 2.4): required properties, no unknown ones, identifiers (UUID, IRI, mailto:, SHA-1),
language maps, ISO 8601 timestamps and durations, result and context shapes, score bounds,
interaction activities (type, components, correct responses) and a choice's response as
ids of the choices the statement defines (`id[,]id`). The tests run
it over every stored statement; `problems` returns what is wrong, empty when valid.
"""

import re
import uuid
from urllib.parse import urlsplit

STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored",
                  "authority", "version", "attachments"}  # fmt: skip
REQUIRED = {"actor", "verb", "object"}
AGENT_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
GROUP_KEYS = AGENT_KEYS | {"member"}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
SCORE_KEYS = {"scaled", "raw", "min", "max"}
CONTEXT_KEYS = {"registration", "instructor", "team", "contextActivities", "revision",
                "platform", "language", "statement", "extensions"}  # fmt: skip
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}
ACTIVITY_KEYS = {"objectType", "id", "definition"}
DEFINITION_KEYS = {"name", "description", "type", "moreInfo", "extensions", "interactionType",
                   "correctResponsesPattern", "choices", "scale", "source", "target",
                   "steps"}  # fmt: skip
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"  # with a zone
)
DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
VERSION = re.compile(r"^1\.0(\.\d+)?$")
# Interaction activities (Data, 2.4.4.1.1): which component lists each type may carry.
INTERACTIONS = {
    "true-false": set(),
    "choice": {"choices"},
    "fill-in": set(),
    "long-fill-in": set(),
    "matching": {"source", "target"},
    "performance": {"steps"},
    "sequencing": {"choices"},
    "likert": {"scale"},
    "numeric": set(),
    "other": set(),
}
COMPONENTS = {"choices", "scale", "source", "target", "steps"}
RESPONSE_SEPARATOR = "[,]"
SHA1 = re.compile(r"^[0-9a-f]{40}$")


def is_iri(value) -> bool:
    """An absolute IRI: a scheme and something after it, no spaces."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme)) and bool(
        parts.netloc or parts.path
    )


def is_irl(value) -> bool:
    return is_iri(value) and urlsplit(value).scheme in ("http", "https")


def is_uuid(value) -> bool:
    try:
        return isinstance(value, str) and uuid.UUID(value).variant == uuid.RFC_4122
    except ValueError:
        return False


def problems(statement) -> list[str]:
    """Everything in `statement` that breaks the xAPI 1.0.3 rules; empty when it is valid."""
    found: list[str] = []
    if not isinstance(statement, dict):
        return ["a statement is a JSON object"]
    _keys(statement, STATEMENT_KEYS, "statement", found)
    for name in REQUIRED - set(statement):
        found.append(f"statement lacks {name}")
    if "id" in statement and not is_uuid(statement["id"]):
        found.append("id is not a UUID")
    if "actor" in statement:
        _actor(statement["actor"], "actor", found)
    if "verb" in statement:
        _verb(statement["verb"], found)
    if "object" in statement:
        _object(statement["object"], found)
    if "result" in statement:
        _result(statement["result"], found)
        _response_defined(statement, found)
    if "context" in statement:
        _context(statement["context"], statement.get("object", {}), found)
    for name in ("timestamp", "stored"):
        if name in statement and not _timestamp(statement[name]):
            found.append(f"{name} is not an ISO 8601 timestamp with a time zone")
    if "authority" in statement:
        _actor(statement["authority"], "authority", found)
    if "version" in statement and not (
        isinstance(statement["version"], str) and VERSION.match(statement["version"])
    ):
        found.append("version is not 1.0.x")
    return found


def _response_defined(statement: dict, found: list) -> None:
    """A choice interaction's response names choices its object defines."""
    result, object_ = statement["result"], statement.get("object")
    if not (isinstance(result, dict) and isinstance(object_, dict)):
        return
    definition = object_.get("definition")
    response = result.get("response")
    if (
        isinstance(definition, dict)
        and definition.get("interactionType") == "choice"
        and isinstance(response, str)
    ):
        _choice_response(response, definition, "result response", found)


def _keys(value: dict, allowed: set, where: str, found: list) -> None:
    for key in set(value) - allowed:
        found.append(f"{where} has an unknown property {key}")


def _timestamp(value) -> bool:
    return isinstance(value, str) and bool(TIMESTAMP.match(value))


def _language_map(value, where: str, found: list) -> None:
    if not isinstance(value, dict) or not value:
        found.append(f"{where} is not a language map")
        return
    for tag, text in value.items():
        if not LANGUAGE_TAG.match(tag) or not isinstance(text, str):
            found.append(f"{where} has an invalid entry {tag!r}")


def _extensions(value, where: str, found: list) -> None:
    if not isinstance(value, dict):
        found.append(f"{where} is not an object")
        return
    for key in value:
        if not is_iri(key):
            found.append(f"{where} key {key!r} is not an IRI")


def _actor(value, where: str, found: list) -> None:
    if not isinstance(value, dict):
        found.append(f"{where} is not an object")
        return
    kind = value.get("objectType", "Agent")
    if kind not in ("Agent", "Group"):
        found.append(f"{where} objectType is {kind!r}")
        return
    _keys(value, GROUP_KEYS if kind == "Group" else AGENT_KEYS, where, found)
    ifis = [name for name in IFIS if name in value]
    if kind == "Agent" and len(ifis) != 1:
        found.append(f"{where} needs exactly one identifier (mbox, mbox_sha1sum, openid, account)")
    if kind == "Group":
        if len(ifis) > 1:
            found.append(f"{where} has more than one identifier")
        if not ifis and not isinstance(value.get("member"), list):
            found.append(f"{where}, an anonymous group, needs a member list")
        for index, member in enumerate(value.get("member", [])):
            if isinstance(member, dict) and member.get("objectType", "Agent") != "Agent":
                found.append(f"{where} member {index} is not an Agent")
            _actor(member, f"{where} member {index}", found)
    if "name" in value and not isinstance(value["name"], str):
        found.append(f"{where} name is not a string")
    if "mbox" in value and not (
        isinstance(value["mbox"], str) and re.match(r"^mailto:[^@\s]+@[^@\s]+$", value["mbox"])
    ):
        found.append(f"{where} mbox is not a mailto: IRI")
    if "mbox_sha1sum" in value and not SHA1.match(str(value["mbox_sha1sum"])):
        found.append(f"{where} mbox_sha1sum is not a SHA-1 hex digest")
    if "openid" in value and not is_iri(value["openid"]):
        found.append(f"{where} openid is not a URI")
    if "account" in value:
        account = value["account"]
        if not isinstance(account, dict) or set(account) != {"homePage", "name"}:
            found.append(f"{where} account needs exactly homePage and name")
        else:
            if not is_irl(account["homePage"]):
                found.append(f"{where} account homePage is not an IRL")
            if not isinstance(account["name"], str) or not account["name"]:
                found.append(f"{where} account name is not a string")


def _verb(value, found: list) -> None:
    if not isinstance(value, dict):
        found.append("verb is not an object")
        return
    _keys(value, {"id", "display"}, "verb", found)
    if not is_iri(value.get("id")):
        found.append("verb id is not an IRI")
    if "display" in value:
        _language_map(value["display"], "verb display", found)


def _activity(value, where: str, found: list) -> None:
    if not isinstance(value, dict):
        found.append(f"{where} is not an object")
        return
    _keys(value, ACTIVITY_KEYS, where, found)
    if value.get("objectType", "Activity") != "Activity":
        found.append(f"{where} objectType is not Activity")
    if not is_iri(value.get("id")):
        found.append(f"{where} id is not an IRI")
    definition = value.get("definition")
    if definition is None:
        return
    if not isinstance(definition, dict):
        found.append(f"{where} definition is not an object")
        return
    _keys(definition, DEFINITION_KEYS, f"{where} definition", found)
    for name in ("name", "description"):
        if name in definition:
            _language_map(definition[name], f"{where} definition {name}", found)
    if "type" in definition and not is_iri(definition["type"]):
        found.append(f"{where} definition type is not an IRI")
    if "moreInfo" in definition and not is_irl(definition["moreInfo"]):
        found.append(f"{where} definition moreInfo is not an IRL")
    if "extensions" in definition:
        _extensions(definition["extensions"], f"{where} definition extensions", found)
    _interaction(definition, f"{where} definition", found)


def _interaction(definition: dict, where: str, found: list) -> None:
    """An interaction's type, its components (an array of id and description, ids unique,
    only those its type allows) and its correct responses pattern (an array of strings; for a
    choice, ids of its choices separated by [,])."""
    kind = definition.get("interactionType")
    present = COMPONENTS & set(definition)
    if kind is None:
        if present or "correctResponsesPattern" in definition:
            found.append(f"{where} has interaction components without an interactionType")
        return
    if kind not in INTERACTIONS:
        found.append(f"{where} interactionType {kind!r} is unknown")
        return
    for name in present - INTERACTIONS[kind]:
        found.append(f"{where} {name} is not a component of a {kind} interaction")
    for name in present:
        items = definition[name]
        if not isinstance(items, list):
            found.append(f"{where} {name} is not an array")
            continue
        ids = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                found.append(f"{where} {name} has a component without a string id")
                continue
            _keys(item, {"id", "description"}, f"{where} {name} component", found)
            if not item["id"] or any(c.isspace() for c in item["id"]):
                found.append(f"{where} {name} id {item['id']!r} is empty or has white space")
            if "description" in item:
                _language_map(item["description"], f"{where} {name} description", found)
            ids.append(item["id"])
        if len(ids) != len(set(ids)):
            found.append(f"{where} {name} ids are not unique")
    pattern = definition.get("correctResponsesPattern")
    if pattern is not None:
        if not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern):
            found.append(f"{where} correctResponsesPattern is not an array of strings")
        elif kind == "choice":
            for p in pattern:
                _choice_response(p, definition, f"{where} correctResponsesPattern", found)


def _choice_ids(definition: dict) -> set:
    choices = definition.get("choices")
    if not isinstance(choices, list):
        return set()
    return {c.get("id") for c in choices if isinstance(c, dict)}


def _choice_response(value: str, definition: dict, where: str, found: list) -> None:
    """A choice response: ids of the defined choices, separated by [,] (none: empty)."""
    if value == "":
        return
    known = _choice_ids(definition)
    for part in value.split(RESPONSE_SEPARATOR):
        if part not in known:
            found.append(f"{where} {part!r} is not one of the defined choices")


def _object(value, found: list) -> None:
    if not isinstance(value, dict):
        found.append("object is not an object")
        return
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        _activity(value, "object", found)
    elif kind in ("Agent", "Group"):
        _actor(value, "object", found)
    elif kind == "StatementRef":
        _keys(value, {"objectType", "id"}, "object", found)
        if not is_uuid(value.get("id")):
            found.append("object StatementRef id is not a UUID")
    elif kind != "SubStatement":
        found.append(f"object objectType {kind!r} is unknown")


def _result(value, found: list) -> None:
    if not isinstance(value, dict):
        found.append("result is not an object")
        return
    _keys(value, RESULT_KEYS, "result", found)
    for name in ("success", "completion"):
        if name in value and not isinstance(value[name], bool):
            found.append(f"result {name} is not true or false")
    if "response" in value and not isinstance(value["response"], str):
        found.append("result response is not a string")
    if "duration" in value and not (
        isinstance(value["duration"], str) and DURATION.match(value["duration"])
    ):
        found.append("result duration is not an ISO 8601 duration")
    if "extensions" in value:
        _extensions(value["extensions"], "result extensions", found)
    score = value.get("score")
    if score is not None:
        if not isinstance(score, dict):
            found.append("result score is not an object")
            return
        _keys(score, SCORE_KEYS, "result score", found)
        if "scaled" in score and not (-1 <= score["scaled"] <= 1):
            found.append("result score scaled is outside -1 to 1")
        low, high = score.get("min"), score.get("max")
        if low is not None and high is not None and low > high:
            found.append("result score min is above max")
        raw = score.get("raw")
        if raw is not None and (low is not None and raw < low or high is not None and raw > high):
            found.append("result score raw is outside min and max")


def _context(value, object_, found: list) -> None:
    if not isinstance(value, dict):
        found.append("context is not an object")
        return
    _keys(value, CONTEXT_KEYS, "context", found)
    if "registration" in value and not is_uuid(value["registration"]):
        found.append("context registration is not a UUID")
    if "instructor" in value:
        _actor(value["instructor"], "context instructor", found)
    if "team" in value:
        if not isinstance(value["team"], dict) or value["team"].get("objectType") != "Group":
            found.append("context team is not a Group")
        else:
            _actor(value["team"], "context team", found)
    activities = value.get("contextActivities")
    if activities is not None:
        if not isinstance(activities, dict):
            found.append("context contextActivities is not an object")
        else:
            _keys(activities, CONTEXT_ACTIVITY_KEYS, "context contextActivities", found)
            for key, items in activities.items():
                for index, item in enumerate(items if isinstance(items, list) else [items]):
                    _activity(item, f"context {key} {index}", found)
    is_activity = isinstance(object_, dict) and object_.get("objectType", "Activity") == "Activity"
    for name in ("revision", "platform"):
        if name in value:
            if not isinstance(value[name], str):
                found.append(f"context {name} is not a string")
            if not is_activity:
                found.append(f"context {name} is only for statements about an Activity")
    if "language" in value and not (
        isinstance(value["language"], str) and LANGUAGE_TAG.match(value["language"])
    ):
        found.append("context language is not an RFC 5646 tag")
    if "statement" in value:
        ref = value["statement"]
        if not (isinstance(ref, dict) and ref.get("objectType") == "StatementRef"):
            found.append("context statement is not a StatementRef")
        elif not is_uuid(ref.get("id")):
            found.append("context statement id is not a UUID")
    if "extensions" in value:
        _extensions(value["extensions"], "context extensions", found)
