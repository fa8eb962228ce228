"""Checks of one-line text (names, titles) that may end up in an e-mail header."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 and C1 control characters and the Unicode line and paragraph separators: none belongs
# in a name or a title, and a line break in an e-mail subject or address is refused there.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control(text: str) -> bool:
    return bool(CONTROL.search(text))


def validate_one_line(value: str) -> None:
    """Refuse line breaks and other control characters in a name or a title."""
    if has_control(value):
        raise ValidationError(
            _("Line breaks and control characters cannot be used here. Remove them and try again."),
            code="control",
        )
