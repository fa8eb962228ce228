"""Orders names as people read them."""

import functools
import re


@functools.lru_cache(maxsize=65536)  # a national program's 10,000 groups, sorted on each view
def natural_key(name: str) -> tuple:
    """Sorts "Gruppe 2" before "Gruppe 10".

    Splitting on digits puts text at the even places and numbers at the odd ones, so two
    keys never compare a number with text.
    """
    return tuple(
        int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)
    )
