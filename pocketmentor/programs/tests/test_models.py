import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError

from pocketmentor.conftest import OSLO
from pocketmentor.programs.models import Program, Unit

UTC = dt.UTC


@pytest.fixture
def spring(org) -> Program:
    # Mondays at 07:30 in Oslo; clocks go forward on Sunday 29 March 2026.
    return Program.objects.create(
        organization=org, title="Spring", slug="spring", start_date=dt.date(2026, 3, 16),
        release_time=dt.time(7, 30), state="live",
    )  # fmt: skip


def test_unit_opens_at_local_release_time_on_both_sides_of_dst(spring):
    assert spring.opens_at(1) == dt.datetime(2026, 3, 16, 6, 30, tzinfo=UTC)  # CET, UTC+1
    assert spring.opens_at(2) == dt.datetime(2026, 3, 23, 6, 30, tzinfo=UTC)
    assert spring.opens_at(3) == dt.datetime(2026, 3, 30, 5, 30, tzinfo=UTC)  # CEST, UTC+2


def test_autumn_dst_change_keeps_the_wall_clock(org):
    autumn = Program.objects.create(
        organization=org, title="Autumn", slug="autumn", start_date=dt.date(2026, 10, 19),
        release_time=dt.time(7, 30),
    )  # fmt: skip
    assert autumn.opens_at(1).astimezone(OSLO).time() == dt.time(7, 30)
    assert autumn.opens_at(2).astimezone(UTC) == dt.datetime(2026, 10, 26, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "week"),
    [
        (dt.datetime(2026, 3, 16, 6, 29, tzinfo=UTC), 0),
        (dt.datetime(2026, 3, 16, 6, 30, tzinfo=UTC), 1),
        (dt.datetime(2026, 3, 29, 23, 0, tzinfo=UTC), 2),
        (dt.datetime(2026, 3, 30, 5, 29, tzinfo=UTC), 2),  # 07:29 local, after the change
        (dt.datetime(2026, 3, 30, 5, 30, tzinfo=UTC), 3),  # 07:30 local
        (dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC), 12),
    ],
)
def test_week_at_counts_weeks_by_local_release_time(spring, moment, week):
    assert spring.week_at(moment) == week


def test_week_at_defaults_to_now(spring):
    with time_machine.travel(dt.datetime(2026, 3, 30, 5, 31, tzinfo=UTC), tick=False):
        assert spring.week_at() == 3


def test_unit_numbers_are_unique_in_a_program(program):
    with pytest.raises(IntegrityError):
        Unit.objects.create(program=program, number=1, title="Again")


def test_unit_numbers_start_at_one(program):
    with pytest.raises(IntegrityError):
        Unit.objects.create(program=program, number=0, title="Zero")


def test_program_slug_is_unique_within_an_organization_only(program, outsider):
    other = outsider.enrollments.get().program
    assert other.slug == program.slug
    with pytest.raises(IntegrityError):
        Program.objects.create(
            organization=program.organization, title="Again", slug=program.slug,
            start_date=program.start_date,
        )  # fmt: skip


def test_unknown_time_zone_is_refused(org):
    from django.core.exceptions import ValidationError

    program = Program(organization=org, title="X", slug="x", start_date=dt.date(2026, 1, 5))
    program.time_zone = "Europe/Atlantis"
    with pytest.raises(ValidationError) as raised:
        program.full_clean()
    assert list(raised.value.message_dict) == ["time_zone"]
