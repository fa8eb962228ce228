"""The xAPI statements resource, read-only: `GET /xapi/statements` with the LRS filters.

An organization's tools sign in with HTTP Basic credentials made by
`pocketmentor insights key ORG`, and see that organization's statements only. Statements are
written by Pocketmentor itself, never through this API. See docs/insights.md.
"""

import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import json
import re
import uuid

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt

from pocketmentor.insights import records
from pocketmentor.insights.models import LearningRecord, StatementKey

MAX_LIMIT = 500
PARAMETERS = {
    "statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
    "related_activities", "related_agents", "since", "until", "limit", "format",
    "attachments", "ascending", "cursor",
}  # fmt: skip
SINGLE = {"statementId", "voidedStatementId"}
# Control characters (NUL included) are in no IRI, agent name or timestamp.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LONGEST_ID = 18  # digits: more would not fit the database's whole numbers
CURSOR_SALT = "pocketmentor.insights.xapi.more"


class BadRequest(Exception):
    pass


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _organization(request: HttpRequest):
    """The organization whose key signs the request, or None; BadRequest for a malformed key."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        key, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if CONTROL.search(key) or len(key) > 200:
        raise BadRequest("The key in the Authorization header is malformed.")
    row = StatementKey.objects.select_related("organization").filter(key=key).first()
    if row is None or not hmac.compare_digest(row.secret_hash, secret_hash(secret)):
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        StatementKey.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.organization


def _headers(response: HttpResponse) -> HttpResponse:
    response["X-Experience-API-Version"] = records.VERSION
    response["X-Experience-API-Consistent-Through"] = records.timestamp(timezone.now())
    return response


def error(status: int, message: str) -> HttpResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="xAPI"'
    return _headers(response)


def _read_only(view):
    """Answer anything but GET and HEAD with an xAPI 405 (its headers and an error)."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = error(405, "This resource is read-only: use GET.")
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)

    return wrapped


@_read_only
def openapi(request: HttpRequest) -> HttpResponse:
    """This API described in OpenAPI 3 (the file docs/insights.md points to)."""
    text = render_to_string("insights/openapi.yaml", {"site_url": settings.SITE_URL})
    return HttpResponse(text, content_type="application/yaml; charset=utf-8")


@_read_only
def about(request: HttpRequest) -> HttpResponse:
    return _headers(JsonResponse({"version": [records.VERSION]}))


@_read_only
def statements(request: HttpRequest) -> HttpResponse:
    version = request.headers.get("X-Experience-API-Version", "")
    if not re.fullmatch(r"1\.0(\.\d+)?", version):
        return error(400, "Send the header X-Experience-API-Version: 1.0.3.")
    try:
        organization = _organization(request)
        if organization is None:
            return error(401, "Sign in with the organization's statement key (HTTP Basic).")
        return _headers(_answer(request, organization))
    except BadRequest as problem:
        return error(400, str(problem))


def _flag(params, name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false.")
    return value == "true"


def _moment(params, name: str) -> dt.datetime | None:
    if name not in params:
        return None
    text = params[name]
    try:
        moment = None if CONTROL.search(text) else parse_datetime(text)
    except ValueError:  # well formed but impossible: month 13, hour 25
        moment = None
    if moment is None:
        raise BadRequest(f"{name} must be an ISO 8601 timestamp.")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _answer(request: HttpRequest, organization) -> HttpResponse:
    params = request.GET
    unknown = set(params) - PARAMETERS
    if unknown:
        raise BadRequest(f"Unknown parameter: {', '.join(sorted(unknown))}.")
    for name in ("verb", "activity", "agent"):
        if name in params and CONTROL.search(params[name]):
            raise BadRequest(f"{name} must hold no control characters.")
    shape = params.get("format", "exact")
    if shape not in ("exact", "ids", "canonical"):
        raise BadRequest("format must be ids, exact or canonical.")
    attachments = _flag(params, "attachments")
    rows = LearningRecord.objects.filter(
        program_id__in=list(organization.programs.values_list("pk", flat=True))
    )
    if SINGLE & set(params):
        if set(params) - SINGLE - {"format", "attachments"} or len(SINGLE & set(params)) > 1:
            raise BadRequest("statementId and voidedStatementId take no other filters.")
        if "voidedStatementId" in params:  # nothing here is ever voided
            return error(404, "No such voided statement.")
        try:
            wanted = uuid.UUID(params["statementId"])
        except ValueError:
            raise BadRequest("statementId must be a UUID.") from None
        record = rows.filter(pk=wanted).first()
        if record is None:
            return error(404, "No such statement.")
        return _body(_shaped(record.statement, shape), attachments)
    rows = rows.filter(_filters(params))
    ascending = _flag(params, "ascending")
    try:
        limit = int(params.get("limit", MAX_LIMIT))
    except ValueError:
        raise BadRequest("limit must be a whole number.") from None
    if limit < 0:
        raise BadRequest("limit must be a whole number.")
    limit = min(limit or MAX_LIMIT, MAX_LIMIT)
    if "cursor" in params:
        rows = rows.filter(_after(params["cursor"], ascending))
    order = ("stored", "id") if ascending else ("-stored", "-id")
    found = list(rows.order_by(*order).values_list("stored", "id", "statement")[: limit + 1])
    more = ""
    if len(found) > limit:
        found = found[:limit]
        stored, last_id, _ = found[-1]
        cursor = signing.dumps([stored.isoformat(), str(last_id)], salt=CURSOR_SALT)
        query = {k: v for k, v in params.items() if k != "cursor"} | {"cursor": cursor}
        more = reverse("insights:statements") + "?" + urlencode(query)
    body = {"statements": [_shaped(s, shape) for _, _, s in found], "more": more}
    return _body(body, attachments)


def _filters(params) -> Q:
    wanted = Q()
    if "agent" in params:
        wanted &= _agent(params["agent"])
    if "verb" in params:
        wanted &= Q(verb=params["verb"])
    if "activity" in params:
        wanted &= _activity(params["activity"], related=_flag(params, "related_activities"))
    _flag(params, "related_agents")  # our statements name agents only as their actor
    if "registration" in params:
        try:
            uuid.UUID(params["registration"])
        except ValueError:
            raise BadRequest("registration must be a UUID.") from None
        wanted &= Q(pk__in=[])  # statements here carry no registration
    since, until = _moment(params, "since"), _moment(params, "until")
    if since:
        wanted &= Q(stored__gt=since)
    if until:
        wanted &= Q(stored__lte=until)
    return wanted


def _agent(text: str) -> Q:
    try:
        agent = json.loads(text)
    except ValueError:
        raise BadRequest("agent must be a JSON Agent or Group.") from None
    if not isinstance(agent, dict):
        raise BadRequest("agent must be a JSON Agent or Group.")
    account = agent.get("account")
    if not isinstance(account, dict):
        return Q(pk__in=[])  # people here are named only by an account on this installation
    name = account.get("name", "")
    if not isinstance(name, str) or CONTROL.search(name):
        raise BadRequest("agent's account name must be text with no control characters.")
    if account.get("homePage") != settings.SITE_URL:
        return Q(pk__in=[])
    if re.fullmatch(rf"[0-9]{{1,{LONGEST_ID}}}", name):
        return Q(actor_id=int(name), actor_name=name)
    return Q(actor_name=name)


ACTIVITY = re.compile(rf"/xapi/activities/(program|unit)/([0-9]{{1,{LONGEST_ID}}})$")


def _activity(iri: str, *, related: bool) -> Q:
    """The object is the activity; with `related`, also its unit's and program's statements."""
    if related and iri.startswith(settings.SITE_URL):
        match = ACTIVITY.search(iri)
        if match and match.group(1) == "program":
            return Q(program_id=int(match.group(2)))
        if match:
            return Q(unit_id=int(match.group(2))) | Q(object=iri)
    return Q(object=iri)


def _after(token: str, ascending: bool) -> Q:
    try:
        stored, last_id = signing.loads(token, salt=CURSOR_SALT)
        stored = dt.datetime.fromisoformat(stored)
        last_id = uuid.UUID(last_id)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadRequest("This cursor is not one the server made.") from None
    if ascending:
        return Q(stored__gt=stored) | Q(stored=stored, id__gt=last_id)
    return Q(stored__lt=stored) | Q(stored=stored, id__lt=last_id)


def _shaped(statement: dict, shape: str) -> dict:
    return records.ids_only(statement) if shape == "ids" else statement


def _body(body: dict, attachments: bool) -> HttpResponse:
    """JSON; with attachments=true the multipart form xAPI asks for (there are none to add)."""
    if not attachments:
        return JsonResponse(body)
    boundary = uuid.uuid4().hex
    part = json.dumps(body)
    content = f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{part}\r\n--{boundary}--\r\n"
    return HttpResponse(content, content_type=f'multipart/mixed; boundary="{boundary}"')
