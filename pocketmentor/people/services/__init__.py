"""Writes about people: `people` (import, invitations, deactivation) and `groups` (a
program's groups and seminars)."""

from pocketmentor.people.services.groups import (
    GroupStillInvited,
    enrollment_move,
    group_create,
    group_delete,
    group_rename,
    groups_split,
    seminar_delete,
    seminar_save,
)
from pocketmentor.people.services.people import (
    InvitationRefused,
    membership_deactivate,
    membership_reactivate,
    people_file_upload,
    people_import,
    people_invite,
    person_invite,
)

__all__ = [
    "GroupStillInvited",
    "InvitationRefused",
    "enrollment_move",
    "group_create",
    "group_delete",
    "group_rename",
    "groups_split",
    "membership_deactivate",
    "membership_reactivate",
    "people_file_upload",
    "people_import",
    "people_invite",
    "person_invite",
    "seminar_delete",
    "seminar_save",
]
