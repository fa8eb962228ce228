"""The raw SQL helpers (lib/sql.py), on whichever database the suite runs against: upsert,
update, update_returning and insert_new."""

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, transaction
from django.utils import timezone

from pocketmentor.insights.models import UnitProgress, WeekTally
from pocketmentor.learning.models import Enrollment
from pocketmentor.lib import sql
from pocketmentor.nudges.models import Preference

COUNT_UP = {"count": "{t}.count + 1"}


def tally(program, week: int) -> bool:
    key = {"program_id": program.pk, "week": week, "what": WeekTally.What.SHARED}
    return sql.upsert(WeekTally, key, {"count": 1}, COUNT_UP)


def test_upsert_inserts_a_missing_row_with_its_values(program):
    assert tally(program, 2) is True

    row = WeekTally.objects.get()
    assert (row.program_id, row.week, row.what, row.count) == (program.pk, 2, "shared", 1)


def test_upsert_changes_the_row_with_the_same_key_instead_of_adding_one(program):
    for _ in range(3):
        tally(program, 2)
    tally(program, 3)

    counts = dict(WeekTally.objects.values_list("week", "count"))
    assert counts == {2: 3, 3: 1}


def test_upsert_with_only_if_leaves_the_row_and_says_so_when_the_condition_fails(ann, program):
    enrollment = Enrollment.objects.get(user=ann, program=program)
    unit = program.units.first()
    key = {"enrollment_id": enrollment.pk, "unit_id": unit.pk}

    def step(bit: int) -> bool:
        changes = {"steps": "{t}.steps | excluded.steps"}
        only_if = "({t}.steps & excluded.steps) = 0"
        return sql.upsert(UnitProgress, key, {"steps": bit}, changes, only_if=only_if)

    assert step(1) is True
    assert step(1) is False  # the bit is set already: nothing written
    assert step(2) is True
    assert UnitProgress.objects.get(**key).steps == 3


def test_update_changes_only_the_matching_rows_and_counts_them(ann, bob):
    Preference.objects.create(person=ann)
    Preference.objects.create(person=bob, enabled=False)
    moment = timezone.now()

    changed = sql.update(Preference, {"enabled": True}, {"last_message_at": moment})

    assert changed == 1
    assert Preference.objects.get(person=ann).last_message_at == moment
    assert Preference.objects.get(person=bob).last_message_at is None


def test_update_with_extra_applies_the_sql_condition_with_a_datetime_parameter(ann, bob):
    now = timezone.now()
    Preference.objects.create(person=ann, last_message_at=now - dt.timedelta(hours=5))
    Preference.objects.create(person=bob, last_message_at=now - dt.timedelta(minutes=5))
    extra = "(last_message_at IS NULL OR last_message_at <= %s)"

    changed = sql.update(
        Preference,
        {"enabled": True},
        {"last_message_at": now},
        extra=extra,
        params=[now - dt.timedelta(hours=1)],
    )

    assert changed == 1
    assert Preference.objects.get(person=ann).last_message_at == now
    assert Preference.objects.get(person=bob).last_message_at == now - dt.timedelta(minutes=5)


def test_update_matching_no_row_changes_nothing(ann):
    Preference.objects.create(person=ann)

    assert sql.update(Preference, {"person_id": ann.pk + 1000}, {"enabled": False}) == 0
    assert Preference.objects.get(person=ann).enabled is True


def test_update_sets_a_value_given_as_sql_row_by_row_with_its_parameters(ann, bob):
    Preference.objects.create(person=ann)
    Preference.objects.create(person=bob)
    moment = timezone.now()
    by_person = sql.Expression("CASE person_id WHEN %s THEN %s ELSE 7 END", [ann.pk, 3])

    changed = sql.update(
        Preference, {"enabled": True}, {"last_message_at": moment, "reminder_weekday": by_person}
    )

    assert changed == 2
    assert Preference.objects.get(person=ann).reminder_weekday == 3
    assert Preference.objects.get(person=bob).reminder_weekday == 7
    assert Preference.objects.get(person=bob).last_message_at == moment


def test_update_returning_tells_which_rows_changed(django_user_model):
    people = [django_user_model.objects.create_user(f"r{n}@example.org") for n in range(3)]
    for person in people:
        Preference.objects.create(person=person, enabled=person != people[1])
    changed = sql.update_returning(
        Preference, {"enabled": True}, {"reminders": False}, "person",
        extra=f"person_id IN ({people[0].pk}, {people[1].pk})",
    )  # fmt: skip
    assert changed == [people[0].pk]
    assert list(Preference.objects.filter(reminders=False).values_list("person", flat=True)) == [
        people[0].pk
    ]


def test_insert_new_adds_rows_with_the_fields_defaults(ann):
    moment = dt.datetime(2026, 3, 23, 7, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        sql.insert_new(Preference, [{"person_id": ann.pk, "reminders": False}])

    row = Preference.objects.get(person=ann)
    assert (row.enabled, row.email, row.reminders, row.time_zone) == (True, True, False, "")
    assert (row.reminder_weekday, row.last_message_at) == (None, None)
    assert row.updated_at == moment  # a callable default, called for the row


def test_insert_new_leaves_out_rows_whose_unique_fields_are_taken(ann, bob):
    Preference.objects.create(person=bob, enabled=False)

    rows = [{"person_id": bob.pk}, {"person_id": ann.pk}, {"person_id": ann.pk, "email": False}]
    sql.insert_new(Preference, rows)

    assert Preference.objects.count() == 2
    assert Preference.objects.get(person=bob).enabled is False  # the row already there stays
    assert Preference.objects.get(person=ann).email is True  # the first of the same key wins


def test_insert_new_writes_every_row_past_a_batch_and_nothing_for_none(django_user_model):
    people = [django_user_model.objects.create_user(f"b{n}@example.org") for n in range(5)]

    sql.insert_new(Preference, [], batch=2)
    assert not Preference.objects.exists()
    sql.insert_new(Preference, ({"person_id": p.pk} for p in people), batch=2)

    assert sorted(Preference.objects.values_list("person", flat=True)) == [p.pk for p in people]


def test_insert_new_returning_tells_the_rows_inserted_and_leaves_those_taken(ann, bob, program):
    units = list(program.units.order_by("number"))
    mine = Enrollment.objects.get(user=ann).pk
    rows = [{"enrollment_id": mine, "unit_id": u.pk, "steps": 1} for u in units[:2]]
    inserted = sql.insert_new_returning(UnitProgress, rows, returning="unit_id", batch=1)
    assert sorted(inserted) == [units[0].pk, units[1].pk]
    again = [{"enrollment_id": mine, "unit_id": u.pk, "steps": 2} for u in units]
    assert sql.insert_new_returning(UnitProgress, again, returning="unit_id") == [units[2].pk]
    steps = dict(UnitProgress.objects.values_list("unit_id", "steps"))
    assert steps == {units[0].pk: 1, units[1].pk: 1, units[2].pk: 2}  # those taken unchanged
    assert sql.insert_new_returning(UnitProgress, [], returning="unit_id") == []


def test_rows_together_answers_each_statement_as_alone(ann, bob):
    statements = [
        ("SELECT email FROM accounts_user WHERE id = %s", [ann.pk]),
        ("SELECT email FROM accounts_user WHERE id IN (%s, %s) ORDER BY email", [ann.pk, bob.pk]),
        ("SELECT email FROM accounts_user WHERE id = %s", [-1]),
    ]
    assert sql.rows_together(statements) == [
        [(ann.email,)], sorted([(ann.email,), (bob.email,)]), []
    ]  # fmt: skip
    assert sql.rows_together([]) == []


def test_rows_together_raises_a_statements_error_as_django_does_and_the_next_read_works(ann):
    with pytest.raises(DatabaseError), transaction.atomic():
        sql.rows_together(
            [("SELECT email FROM accounts_user WHERE id = %s", [ann.pk]),
             ("SELECT no_such_column FROM accounts_user", [])]
        )  # fmt: skip
    assert sql.rows_together([("SELECT 1", []), ("SELECT 2", [])]) == [[(1,)], [(2,)]]


def test_model_from_row_makes_the_instance_the_orm_makes(ann):
    columns = ", ".join(f.column for f in type(ann)._meta.concrete_fields)
    statement = f"SELECT {columns} FROM accounts_user WHERE id = %s"  # noqa: S608 - the model's
    [row] = sql.rows_together([(statement, [ann.pk])])[0]
    made = sql.model_from_row(type(ann), row)
    orm = type(ann).objects.get(pk=ann.pk)
    for field in type(ann)._meta.concrete_fields:
        assert getattr(made, field.attname) == getattr(orm, field.attname), field.name
    assert made.is_active is True and made.date_joined.tzinfo is not None  # converted on SQLite
    assert not made._state.adding
