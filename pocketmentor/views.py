import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from pocketmentor.lib.outage import outage_of
from pocketmentor.metrics import work_metrics
from pocketmentor.nudges import heartbeat

STAFF_PATHS = ("/studio/", "/admin/")
RETRY_AFTER = 30  # seconds: what a client that retries by itself should wait


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and cache answer and a worker ran lately; 503 with reasons.

    For monitoring: a load balancer asks /healthz, so a stopped worker never takes pages down.
    """
    problems, status = [], {"database": "ok", "cache": "ok", "worker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        last = heartbeat.last_round_at()
    except DatabaseError:
        problems.append("the database does not answer")
        status["database"] = status["worker"] = "unknown"
        last = None
    probe = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(probe, 1, timeout=10)
        if cache.get(probe) != 1:
            raise ValueError(probe)
        cache.delete(probe)
    except Exception:  # any failure of the cache is the answer
        problems.append("the cache does not answer")
        status["cache"] = "error"
    if status["database"] == "ok" and heartbeat.workers_quiet():
        minutes = int(heartbeat.QUIET_AFTER.total_seconds() // 60)
        problems.append(f"no worker has finished a round for {minutes} minutes")
        status["worker"] = "quiet"
    status["last_round_at"] = last.isoformat() if last else None
    if problems:
        return JsonResponse({"status": "error", "problems": problems, **status}, status=503)
    return JsonResponse({"status": "ok", **status})


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format for a scraper that sends METRICS_TOKEN; 404 without one set."""
    if not settings.METRICS_TOKEN:
        raise Http404
    given = request.headers.get("Authorization", "")
    if not constant_time_compare(given, f"Bearer {settings.METRICS_TOKEN}"):
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    requests = ExportToDjangoView(request)
    requests.content += work_metrics()
    return requests


@require_GET
def brand_css(request: HttpRequest, primary: str, accent: str) -> HttpResponse:
    """An organization's colours as a stylesheet, so that no page needs an inline <style>.

    The colours are the address (`{% brand_stylesheet org %}` writes it), so the answer never
    changes and anyone may keep it for a year; new colours are a new address. Nothing is read
    from the database.
    """
    css = f":root{{--brand:#{primary};--accent:#{accent}}}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".vtt": "text/vtt"}


@require_GET
def media(request: HttpRequest, name: str) -> HttpResponse:
    """Serve an uploaded file as what it is, never as HTML; or send the browser to S3_PUBLIC_URL.

    Uploads are saved under new names we choose, with these suffixes only, and never change:
    browsers and proxies may keep them for a year. Without a public address the file is read
    from the storage, local or a private bucket, so no signed link ever expires in a page.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in MEDIA_TYPES or ".." in Path(name).parts:
        raise Http404
    if settings.S3_PUBLIC_URL:
        response = HttpResponseRedirect(f"{settings.S3_PUBLIC_URL}/{name}")
        response["Cache-Control"] = "public, max-age=86400"
        return response
    if not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name), content_type=MEDIA_TYPES[suffix])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page; or, when the database or the disk is out of service, a 503 that says so.

    Django calls it while handling the error, so the error is at hand. Nothing here reads the
    database: the page is in the language the browser asked for (or the one already chosen
    for the request), for participants that their answer waits on the phone (its outbox sends
    it again), for staff what is out of service.
    """
    problem = outage_of(sys.exc_info()[1])
    if problem is None:
        return defaults.server_error(request)
    if request.path.startswith(("/xapi/", "/api/")) or "json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": "unavailable", "problem": problem}, status=503)
    else:
        staff = request.path.startswith(STAFF_PATHS)
        context = {
            "problem": problem,
            "posted": request.method == "POST",
            "LANGUAGE_CODE": translation.get_language(),
        }
        page = render_to_string("outage_staff.html" if staff else "outage.html", context)
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
