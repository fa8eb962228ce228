from django.core.management.base import BaseCommand, CommandError

from pocketmentor.accounts.models import User
from pocketmentor.accounts.services import login_link_url


class Command(BaseCommand):
    help = "Print a single-use sign-in link for the person with this e-mail address."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"Nobody has the e-mail address {email}.")
        if not user.is_active:
            raise CommandError(f"{email} is deactivated and cannot sign in.")
        self.stdout.write(login_link_url(user=user))
