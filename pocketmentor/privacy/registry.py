"""What each app keeps about a person, as it registers it: the export's sections, the
erasure's steps, the ties that keep one organization from erasing someone, and labels.

An app that stores something about a person registers its part from its own `privacy.py`,
which its AppConfig imports when Django is ready; this package asks, and never imports the
apps. Parts come in the order the apps are installed (accounts, orgs, programs, learning,
insights, nudges), so the export's sections keep one order.
"""

from collections.abc import Callable
from typing import Any, Protocol

from pocketmentor.accounts.models import User


class Tenant(Protocol):
    """An organization as the privacy pages need it (orgs.Organization is one)."""

    name: str
    slug: str
    time_zone: str


Section = Callable[[User, Any], list]  # (person, organization or None) -> rows
EraseStep = Callable[[User], object]  # harmless when repeated
Tie = Callable[[User, Any], bool]  # (person, organization) -> also elsewhere?
TimeZone = Callable[[User], str | None]
Frame = Callable[[User], dict[str, Any] | None]

sections: dict[str, Section] = {}
erase_steps: list[EraseStep] = []
ties: list[Tie] = []
labels: dict[str, Callable[[], dict[str, str]]] = {}
staff_roles: set[str] = set()
time_zones: list[TimeZone] = []
frames: list[Frame] = []


def section(name: str) -> Callable[[Section], Section]:
    """Register `(user, organization) -> list` as the export's section `name`."""

    def register(function: Section) -> Section:
        sections[name] = function
        return function

    return register


def erase_step(function: EraseStep) -> EraseStep:
    """Register a step of an erasure: it removes or blanks what identifies the person."""
    if function not in erase_steps:
        erase_steps.append(function)
    return function


def tie(function: Tie) -> Tie:
    """Register a check: does the person belong to another organization than this one?"""
    if function not in ties:
        ties.append(function)
    return function


def label(name: str, choices: Callable[[], dict[str, str]]) -> None:
    """Register the readable names of a field's values (e.g. `kind`), read in the active
    language when the readable export is made."""
    labels[name] = choices


def time_zone(function: TimeZone) -> TimeZone:
    """Register where a person's time zone comes from, for their pages and the export."""
    if function not in time_zones:
        time_zones.append(function)
    return function


def frame(function: Frame) -> Frame:
    """Register the page around a person's own data pages: a template named `frame` that
    they extend, and what it needs (a participant's program, for its header and colours)."""
    if function not in frames:
        frames.append(function)
    return function
