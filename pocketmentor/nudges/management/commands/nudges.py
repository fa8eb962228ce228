"""`pocketmentor nudges preview|plan|vapid`: what will be sent, plan now, Web Push keys."""

import base64
import datetime as dt
import json
from collections import Counter
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pocketmentor.accounts.models import User
from pocketmentor.nudges import planning
from pocketmentor.nudges.models import Nudge


class Command(BaseCommand):
    help = "Nudges: preview what would be sent, plan now, or make Web Push (VAPID) keys."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        preview = commands.add_parser("preview", help="what would be sent in the next days")
        preview.add_argument("--days", type=float, default=2)
        preview.add_argument("--people", action="store_true", help="one line per message")
        commands.add_parser("plan", help="plan the messages of the next hours now")
        vapid = commands.add_parser("vapid", help="make a VAPID key pair for Web Push")
        vapid.add_argument("--force", action="store_true", help="replace existing keys")

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(**options)

    def _plan(self, **options):
        self.stdout.write(f"Planned {planning.plan()} new messages.")

    def _preview(self, *, days: float, people: bool, **options):
        """Rows already planned plus those planning would add, grouped by minute and kind."""
        now = timezone.now()
        until = now + dt.timedelta(days=days)
        waiting = Nudge.objects.filter(
            state__in=[Nudge.State.PENDING, Nudge.State.CLAIMED], next_attempt_at__lt=until
        ).select_related("person", "program")
        lines = [
            (n.next_attempt_at, n.kind, n.program.title, n.program.time_zone, str(n.person), n.key)
            for n in waiting
        ]
        keys = {line[-1] for line in lines}
        titles = dict(planning.Program.objects.values_list("pk", "title"))
        zones = dict(planning.Program.objects.values_list("pk", "time_zone"))
        names = {}
        extra = [
            p
            for p in planning.candidates(now=now, until=until, skip_planned=False)
            if p.key not in keys
        ]
        if people and extra:
            names = {u.pk: str(u) for u in User.objects.filter(pk__in={p.person_id for p in extra})}
        lines += [
            (
                p.due_at,
                p.kind,
                titles[p.program_id],
                zones[p.program_id],
                names.get(p.person_id, ""),
                p.key,
            )
            for p in extra
        ]
        if not lines:
            self.stdout.write(f"Nothing to send before {until:%Y-%m-%d %H:%M %Z}.")
            return
        lines.sort()
        if people:
            for due, kind, title, zone, person, _key in lines:
                local = due.astimezone(ZoneInfo(zone))
                self.stdout.write(f"{local:%a %Y-%m-%d %H:%M %Z}  {kind:<9} {title}  {person}")
            return
        groups = Counter(
            (due.astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0), kind, title)
            for due, kind, title, zone, _person, _key in lines
        )
        for (hour, kind, title), count in sorted(groups.items()):
            self.stdout.write(f"{hour:%a %Y-%m-%d %H:%M %Z}  {kind:<9} {count:>7}  {title}")
        self.stdout.write(f"{len(lines)} messages before {until:%Y-%m-%d %H:%M %Z}.")

    def _vapid(self, *, force: bool, **options):
        path = settings.DATA_DIR / "vapid.json"
        if (path.exists() or settings.VAPID_PRIVATE_KEY) and not force:
            raise CommandError(
                "VAPID keys exist already (environment or data folder); --force replaces them, "
                "and every phone then has to turn notifications on again."
            )
        key = ec.generate_private_key(ec.SECP256R1())
        raw = key.private_numbers().private_value.to_bytes(32, "big")
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = {"public_key": _b64(public), "private_key": _b64(raw)}
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
        self.stdout.write(f"Wrote {path}. Or set these in the environment:")
        self.stdout.write(f"VAPID_PUBLIC_KEY={keys['public_key']}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={keys['private_key']}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
