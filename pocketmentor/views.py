from pathlib import Path

from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
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
def media(request: HttpRequest, name: str) -> FileResponse:
    """Serve an uploaded file from local storage as what it is: never as HTML.

    Uploads are saved under names we choose, with these suffixes only.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in MEDIA_TYPES or ".." in Path(name).parts or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name), content_type=MEDIA_TYPES[suffix])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
