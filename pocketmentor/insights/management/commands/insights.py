"""`pocketmentor insights …`: forward records, keep figures current, rebuild, statement keys."""

import secrets

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pocketmentor.audit.services import Action, audit_record
from pocketmentor.insights import forward, services
from pocketmentor.insights.api import secret_hash
from pocketmentor.insights.models import StatementKey
from pocketmentor.orgs.models import Organization
from pocketmentor.programs.models import Program


class Command(BaseCommand):
    help = "Learning records and figures; see docs/insights.md."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("forward", help="Send records not yet forwarded to XAPI_LRS_URL.")
        actions.add_parser("refresh", help="Bring the weekly figures of live programs up to date.")
        for name, text in (
            ("rebuild", "Recompute the rollups of programs from their records."),
            ("backfill", "Write records for answers given before records were kept, then rebuild."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("organization", metavar="ORG", nargs="?", help="short name")
            action.add_argument("program", metavar="SLUG", nargs="?", help="program short name")
        key = actions.add_parser(
            "key", help="Make credentials to read an organization's statements."
        )
        key.add_argument("organization", metavar="ORG", help="The organization's short name.")
        key.add_argument("--label", default="", help="What the key is for.")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, action)(**options)

    def forward(self, **options) -> None:
        lrs = forward.configured_lrs()
        if lrs is None:
            raise CommandError("Set XAPI_LRS_URL (and its credentials) to forward records.")
        try:
            sent = forward.forward_pending(lrs=lrs)
        except forward.ForwardError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(f"Forwarded {sent} records to {lrs.url}.")

    def refresh(self, **options) -> None:
        live = Program.objects.filter(state=Program.State.LIVE).select_related("organization")
        for program in live:
            services.figures_refresh(program=program)
        self.stdout.write(f"Refreshed the figures of live programs: {len(live)}.")

    def rebuild(self, *, organization=None, program=None, **options) -> None:
        for chosen in self._programs(organization, program):
            count = services.rollups_rebuild(program=chosen)
            if count is None:
                raise CommandError(
                    f"{chosen.organization.slug}/{chosen.slug} is being rebuilt by another"
                    " process (a worker); try again when it is done."
                )
            self.stdout.write(f"{chosen.organization.slug}/{chosen.slug}: {count} records.")

    def backfill(self, *, organization=None, program=None, **options) -> None:
        for chosen in self._programs(organization, program):
            written = services.records_backfill(program=chosen)
            services.rollups_rebuild(program=chosen)
            self.stdout.write(f"{chosen.organization.slug}/{chosen.slug}: {written} new records.")

    def key(self, *, organization: str, label: str, **options) -> None:
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization with the short name {organization!r}.")
        key, secret = f"pm_{secrets.token_hex(8)}", secrets.token_urlsafe(32)
        StatementKey.objects.create(
            organization=org, label=label, key=key, secret_hash=secret_hash(secret)
        )
        audit_record(action=Action.API_KEY, organization=org, target=f"{label} ({key})")
        self.stdout.write(f"Statements of {org.name}: user {key}, password {secret}")
        self.stdout.write("Keep the password now: it is stored only as a hash.")

    def _programs(self, organization: str | None, slug: str | None):
        programs = Program.objects.select_related("organization").order_by("pk")
        if organization:
            programs = programs.filter(organization__slug=organization)
        if slug:
            programs = programs.filter(slug=slug)
        if not programs:
            raise CommandError("No such program.")
        return programs
