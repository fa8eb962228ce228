import os
import shlex
import shutil
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from pocketmentor.accounts.services import login_link_url
from pocketmentor.demo import SLUG, DemoRefused, demo_people, demo_seed
from pocketmentor.orgs.models import Organization

ROLES = {"admin": "Admin (HR)", "facilitator": "Facilitator", "participant": "Participant"}


class Command(BaseCommand):
    help = "Set up the database, seed the demo organization if it is empty, and serve."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Seed without serving.")
        parser.add_argument(
            "--language", choices=["nb", "en"], default="nb", help="Language of the demo program."
        )

    def handle(self, *args, no_serve: bool, language: str, **options):
        call_command("migrate", interactive=False, verbosity=0)
        people = demo_people()
        if people is None:
            self.stdout.write("Seeding the demo organization (250 participants, 5 weeks)…")
            try:
                demo_seed(language=language)
            except DemoRefused:
                raise CommandError(
                    "This database already holds other organizations or people, so the demo "
                    "will not seed it. Point DATA_DIR or DATABASE_URL at an empty database."
                ) from None
            people = demo_people()
        else:
            # The organization's language is the program's: the admin may have chosen another.
            seeded = Organization.objects.get(slug=SLUG).language
            if seeded != language:
                self.stdout.write(
                    self.style.WARNING(
                        f"The demo was seeded in {seeded!r} and is kept; --language {language} "
                        "seeds only an empty database (point DATA_DIR at an empty folder)."
                    )
                )
        self.stdout.write(self.style.SUCCESS("The demo organization is ready. Sign in as:"))
        for role, user in people.items():
            self.stdout.write(f"  {ROLES[role]} ({user.email}): {login_link_url(user=user)}")
        self.stdout.write(f"Each link works once; `{login_link_command()}` prints another.")
        if not no_serve:
            if "EMAIL_URL" not in os.environ:
                # The server and the worker (child processes) write each e-mail to a file.
                outbox = settings.DATA_DIR / "outbox"
                os.environ["EMAIL_URL"] = f"file://{outbox}"
                self.stdout.write(
                    f"E-mail (sign-in links, weekly releases, reminders, digests) is written to "
                    f"{outbox}/, one file per batch; open them with any text editor."
                )
            self.stdout.write("A worker runs beside the server and sends what is due.")
            call_command("serve", with_worker=True)


def login_link_command() -> str:
    """The command that prints another link for this demo, as one would type it here."""
    # DATA_DIR and PORT given on the demo's command line are not in the next command's shell.
    given = [f"{name}={shlex.quote(os.environ[name])}" for name in ("DATA_DIR", "PORT")
             if os.environ.get(name)]  # fmt: skip
    return " ".join([*given, program_name(), "login-link", "EMAIL"])


def program_name() -> str:
    """`pocketmentor` when the shell finds it, else the path the demo was started by."""
    started = sys.argv[0]
    if os.path.basename(started) != "pocketmentor":
        return "pocketmentor"  # started some other way (call_command, python -m)
    found = shutil.which("pocketmentor")
    if found and os.path.realpath(found) == os.path.realpath(started):
        return "pocketmentor"
    relative = os.path.relpath(started)
    return shlex.quote(started if relative.startswith("..") else relative)
