"""Department names, normalised once: "Helse ", "helse" and "Helse  og omsorg" typed in
different files are the departments "Helse" and "Helse og omsorg" of the organization.

A name is cleaned (spaces trimmed and collapsed) and then spelled as the organization already
spells it, whatever the case; a department new to the organization keeps the first spelling
it arrives with. Every write of a membership's department goes through `departments_spelled`.
"""

from collections.abc import Iterable

from pocketmentor.orgs.models import Membership


def department_clean(name: str) -> str:
    """Spaces trimmed, runs of spaces (and tabs, line breaks) made one."""
    return " ".join(name.split())


def department_key(name: str) -> str:
    """What makes two spellings one department."""
    return department_clean(name).casefold()


def departments_spelled(*, organization_id: int, names: Iterable[str]) -> dict[str, str]:
    """Each of `names` as the organization spells that department; one query."""
    names = list(names)
    wanted = {department_key(name) for name in names if name.strip()}
    spelled: dict[str, str] = {}
    if wanted:
        existing = (
            Membership.objects.filter(organization_id=organization_id)
            .exclude(department="")
            .values_list("department", flat=True)
            .distinct()
            .order_by("department")
        )
        for spelling in existing:
            spelled.setdefault(department_key(spelling), spelling)
    result = {}
    for name in names:
        key = department_key(name)
        result[name] = spelled.setdefault(key, department_clean(name)) if key else ""
    return result
