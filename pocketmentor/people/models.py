"""A people file being read by the worker, and what it found (people/tasks.py)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pocketmentor.orgs.models import Organization
from pocketmentor.programs.models import Program


class PeopleFileJob(models.Model):
    """An uploaded people file: read by a worker, then shown as a preview until confirmed.

    Parsing a spreadsheet may take seconds and, within its bounds, tens of megabytes; a
    worker does it (`people.tasks.people_file_read`), never the request. The rows found wait
    here, as JSON, for the preview and the confirm; a day at most (`importing.files_prune`).
    """

    class State(models.TextChoices):
        READING = "reading", _("Reading the file")
        READY = "ready", _("File read")
        REFUSED = "refused", _("Refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    program = models.ForeignKey(Program, on_delete=models.CASCADE)
    filename = models.CharField(max_length=255)
    digest = models.CharField(max_length=64)  # the WaitingFile read, SHA-256 of its data
    language = models.CharField(max_length=8)  # the uploader's, for the messages
    state = models.CharField(max_length=8, choices=State.choices, default=State.READING)
    error = models.TextField(blank=True)
    # The rows found (importing.people_as_json): JSON escaped to ASCII, so that any text a file
    # held (a zero byte, bytes that were not UTF-8) is kept exactly, on any database.
    people = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.state})"
