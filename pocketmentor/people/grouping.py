"""Splitting participants into small groups that mix departments: a plain function, no database.

Groups of 6 to 12 meet at the seminars; a group is better when its leaders come from different
parts of the organization, so the split spreads each department over the groups as evenly as
the numbers allow.
"""

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import TypeVar

SMALLEST, LARGEST = 6, 12
Id = TypeVar("Id", bound=Hashable)


def group_count(people: int, size: int) -> int:
    """How many groups `people` make when each should hold about `size`.

    Every group stays within 6–12 whenever there are at least 6 people (fewer make one group);
    among the counts that do, the one whose average is nearest `size` wins, and on a tie the
    smaller groups, since the size chosen is usually what a room or a table holds.
    """
    if people <= 0:
        return 0
    if people < SMALLEST:
        return 1
    fitting = [
        count
        for count in range(1, people // SMALLEST + 1)
        if -(-people // count) <= LARGEST and people // count >= SMALLEST
    ]
    return min(fitting, key=lambda count: (abs(people / count - size), -count))


def split_into_groups(people: Sequence[tuple[Id, str]], size: int) -> list[list[Id]]:
    """Deal `people` — (id, department) pairs — into groups of about `size`.

    Departments are laid end to end, largest first, and dealt round the groups like cards:
    so group sizes differ by at most one, and each department has, in every group, either
    the floor or the ceiling of its fair share. Deterministic: the same people in the same
    order give the same groups.
    """
    if not SMALLEST <= size <= LARGEST:
        raise ValueError(f"size must be between {SMALLEST} and {LARGEST}, not {size}")
    by_department: dict[str, list[Id]] = defaultdict(list)
    for person, department in people:
        by_department[department].append(person)
    # Largest department first, then by name, so the result does not depend on dict order.
    ordered = sorted(by_department.items(), key=lambda item: (-len(item[1]), item[0]))
    count = group_count(len(people), size)
    groups: list[list[Id]] = [[] for _ in range(count)]
    dealt = 0
    for _department, members in ordered:
        for person in members:
            groups[dealt % count].append(person)
            dealt += 1
    return groups
