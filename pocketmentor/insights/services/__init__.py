"""Writes of the insights app, one module for each thing they keep.

- `recording`: appending learning records, and the rollups updated with each one;
- `figures`: the weekly figures the dashboard reads, and rebuilding the rollups;
- `backfill`: records for what happened before records were kept;
- `reminders`: the dashboard's reminder to a participant at risk, or to several;
- `privacy`: a person's records in their data export and erasure;
- `themes`: the reflection themes per program week (imported from there: the worker's job).
"""

from pocketmentor.insights.services.backfill import records_backfill
from pocketmentor.insights.services.figures import (
    REFRESH_SECONDS,
    counted_kinds_set,
    figures_current,
    figures_refresh,
    program_weeks,
    rollups_rebuild,
    schedule_moved,
)
from pocketmentor.insights.services.privacy import records_erase, records_of
from pocketmentor.insights.services.recording import (
    cards_read,
    feedback_recorded,
    opened_flush,
    reaction_recorded,
    record_append,
    response_recorded,
    response_sharing,
    sign_in_recorded,
    unit_opened,
    units_opened,
)
from pocketmentor.insights.services.reminders import (
    REMIND_PAUSE,
    Reminded,
    ReminderRefused,
    remind_refused_message,
    reminder_send,
    reminders_send,
)

__all__ = [
    "REFRESH_SECONDS",
    "REMIND_PAUSE",
    "ReminderRefused",
    "cards_read",
    "counted_kinds_set",
    "feedback_recorded",
    "opened_flush",
    "figures_current",
    "figures_refresh",
    "program_weeks",
    "reaction_recorded",
    "record_append",
    "records_backfill",
    "records_erase",
    "records_of",
    "Reminded",
    "remind_refused_message",
    "reminder_send",
    "reminders_send",
    "response_recorded",
    "response_sharing",
    "rollups_rebuild",
    "schedule_moved",
    "sign_in_recorded",
    "unit_opened",
    "units_opened",
]
