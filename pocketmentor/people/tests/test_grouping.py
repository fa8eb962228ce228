"""The split into groups, on its own: who goes where, without a database."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pocketmentor.people.grouping import LARGEST, SMALLEST, group_count, split_into_groups


@pytest.mark.parametrize(
    ("people", "size", "count"),
    [
        (0, 8, 0),
        (4, 8, 1),  # too few for two groups: one small group
        (7, 6, 1),  # two groups of 6 would need 12
        (12, 12, 1),
        (12, 8, 2),  # 6 and 6 is nearer 8 than 12 is
        (13, 12, 2),  # one group of 13 is too many
        (24, 10, 3),  # 8 and 12 are as near as each other: the smaller groups win
        (25, 10, 3),
        (250, 10, 25),
        (250, 6, 41),
    ],
)
def test_group_count_keeps_groups_within_six_to_twelve_near_the_size(people, size, count):
    assert group_count(people, size) == count


def test_departments_are_dealt_round_the_groups():
    people = [(n, dept) for n, dept in enumerate(["HR"] * 6 + ["IT"] * 6 + ["Care"] * 6)]
    groups = split_into_groups(people, 9)
    assert [len(g) for g in groups] == [9, 9]
    department = dict(people)
    for group in groups:
        assert Counter(department[p] for p in group) == {"HR": 3, "IT": 3, "Care": 3}


def test_the_same_people_give_the_same_groups():
    people = [(f"p{n}", "ABC"[n % 3]) for n in range(40)]
    assert split_into_groups(people, 8) == split_into_groups(list(people), 8)


def test_nobody_makes_no_groups_and_sizes_outside_six_to_twelve_are_refused():
    assert split_into_groups([], 8) == []
    for size in (5, 13):
        with pytest.raises(ValueError, match="size"):
            split_into_groups([(1, "")], size)


people_lists = st.lists(
    st.sampled_from(["Oppvekst", "Helse", "Teknisk", "Kultur", ""]), max_size=300
).map(lambda departments: [(f"id{n}", d) for n, d in enumerate(departments)])


@given(people=people_lists, size=st.integers(SMALLEST, LARGEST))
def test_split_properties(people, size):
    groups = split_into_groups(people, size)
    placed = [person for group in groups for person in group]
    # Everyone is placed, once.
    assert sorted(placed) == sorted(p for p, _ in people)
    # Sizes differ by at most one and stay within 6–12 when there are 6 people or more.
    sizes = [len(g) for g in groups]
    assert len(groups) == group_count(len(people), size)
    if sizes:
        assert max(sizes) - min(sizes) <= 1
        assert min(sizes) >= SMALLEST or len(groups) == 1
        assert max(sizes) <= LARGEST or len(people) < SMALLEST
    # Each department has, in every group, the floor or the ceiling of its fair share.
    department = dict(people)
    totals = Counter(department.values())
    for group in groups:
        here = Counter(department[p] for p in group)
        for name, total in totals.items():
            assert total // len(groups) <= here[name] <= -(-total // len(groups))


@given(people=st.integers(SMALLEST, 400), size=st.integers(SMALLEST, LARGEST))
def test_no_other_group_count_within_bounds_is_nearer_the_size(people, size):
    chosen = group_count(people, size)
    fitting = [
        k for k in range(1, people + 1) if people // k >= SMALLEST and -(-people // k) <= LARGEST
    ]
    assert chosen in fitting
    assert abs(people / chosen - size) == min(abs(people / k - size) for k in fitting)
