"""Writes of the programs app, one module for each kind of change.

- `folders`: programs as code: importing a folder into an organization, writing one out;
- `authoring`: the studio's writes, one function for each change an author makes.
"""

from pocketmentor.programs.services.authoring import (
    TEMPLATES,
    activity_remove,
    activity_save,
    available_templates,
    card_delete,
    card_save,
    item_move,
    item_restore,
    program_create,
    program_duplicate,
    program_go_live,
    program_update,
    removed_purge,
    unit_create,
    unit_move,
    unit_publish,
    unit_update,
)
from pocketmentor.programs.services.folders import LIBRARY, program_export, program_import

__all__ = [
    "LIBRARY",
    "TEMPLATES",
    "activity_remove",
    "activity_save",
    "available_templates",
    "card_delete",
    "card_save",
    "item_move",
    "item_restore",
    "program_create",
    "program_duplicate",
    "program_go_live",
    "program_export",
    "program_import",
    "program_update",
    "removed_purge",
    "unit_create",
    "unit_move",
    "unit_publish",
    "unit_update",
]
