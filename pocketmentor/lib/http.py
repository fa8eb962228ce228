"""Helpers for responses."""

import logging
from collections.abc import Callable

from django.http import HttpResponse

logger = logging.getLogger(__name__)


def after_response(response: HttpResponse, work: Callable, **arguments) -> HttpResponse:
    """Run `work(**arguments)` once the server has sent the response, when it closes it.

    What the work does then takes no time of the answer, so it cannot be told from it. A
    failure is logged; the person has their answer already.
    """
    close = response.close

    def closing() -> None:
        try:
            work(**arguments)
        except Exception:
            logger.exception("Work after the response failed")
        finally:
            close()

    response.close = closing  # type: ignore[method-assign]  # the server calls it when done
    return response
