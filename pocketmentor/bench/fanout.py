"""The release fan-out: one week opening for as many participants as the size has, sent by
`pocketmentor worker` processes into an SMTP server on loopback (pocketmentor/nudges/fanout.py)."""

from collections.abc import Callable

from pocketmentor.bench import Figure
from pocketmentor.nudges.fanout import PARTICIPANTS, release_fanout


def measure(*, size: str, database_url: str, progress: Callable[[str], None]) -> list[Figure]:
    figures = release_fanout(
        participants=PARTICIPANTS[size], database_url=database_url, progress=progress
    )
    return [Figure(*figure) for figure in figures]
