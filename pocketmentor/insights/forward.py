"""Forwarding records to an external Learning Record Store, in batches, with retries.

`pocketmentor insights forward` (run it every minute or so) posts the records not yet
forwarded, oldest first, to `XAPI_LRS_URL`/statements. A record is marked forwarded only
after the LRS accepted its batch, so nothing is lost while the LRS is down: the next run
sends it again. Statements keep their ids, so a batch sent twice is harmless to an LRS.
Standard library only (urllib): one POST per batch needs nothing more.
"""

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from pocketmentor.insights import records
from pocketmentor.insights.models import LearningRecord


class ForwardError(Exception):
    """The LRS refused the records or could not be reached; they wait for the next run."""


@dataclass(frozen=True)
class Lrs:
    url: str  # the LRS's xAPI endpoint, e.g. https://lrs.example/xapi/
    username: str = ""
    password: str = ""
    batch: int = 500
    retries: int = 5
    backoff: float = 1.0  # seconds before the first retry; doubles each time, at most 60
    timeout: float = 30.0

    @property
    def statements_url(self) -> str:
        return self.url.rstrip("/") + "/statements"


def configured_lrs() -> Lrs | None:
    url = settings.XAPI_LRS_URL
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"XAPI_LRS_URL must start with http:// or https://, not {url!r}."
        )
    return Lrs(
        url=url,
        username=settings.XAPI_LRS_USERNAME,
        password=settings.XAPI_LRS_PASSWORD,
        batch=max(1, settings.XAPI_FORWARD_BATCH),
        retries=max(0, settings.XAPI_FORWARD_RETRIES),
    )


def forward_pending(
    *, lrs: Lrs, sleep: Callable[[float], None] = time.sleep, batches: int | None = None
) -> int:
    """Send what was not forwarded yet, batch by batch; how many records the LRS accepted.

    Raises ForwardError when a batch still fails after the retries; the batches sent
    before it stay marked, the rest waits.
    """
    sent = 0
    pending = LearningRecord.objects.filter(forwarded_at__isnull=True).order_by("stored", "id")
    while batches is None or batches > 0:
        batch = list(pending.values_list("id", "statement")[: lrs.batch])
        if not batch:
            break
        _post(lrs, [records.for_lrs(statement) for _, statement in batch], sleep)
        ids = [record_id for record_id, _ in batch]
        LearningRecord.objects.filter(pk__in=ids).update(forwarded_at=timezone.now())
        sent += len(batch)
        batches = None if batches is None else batches - 1
    return sent


def _post(lrs: Lrs, statements: list[dict], sleep: Callable[[float], None]) -> None:
    headers = {
        "Content-Type": "application/json",
        "X-Experience-API-Version": records.VERSION,
    }
    if lrs.username or lrs.password:
        pair = f"{lrs.username}:{lrs.password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    body = json.dumps(statements).encode()
    problem = ""
    for attempt in range(lrs.retries + 1):
        if attempt:
            sleep(min(lrs.backoff * 2 ** (attempt - 1), 60))
        request = urllib.request.Request(  # noqa: S310 - the configured LRS, http(s) only
            lrs.statements_url, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=lrs.timeout) as response:  # noqa: S310
                response.read()
                return
        except urllib.error.HTTPError as error:
            error.read()
            if error.code == 409:  # it holds statements with these ids already: sent before
                return
            if error.code < 500 and error.code not in (408, 429):
                raise ForwardError(f"The LRS refused the statements: HTTP {error.code}.") from None
            problem = f"HTTP {error.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            problem = str(getattr(error, "reason", error))
    raise ForwardError(f"The LRS did not accept the statements ({problem}); they wait.")
