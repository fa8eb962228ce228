from pathlib import Path

from django.conf import settings
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
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
