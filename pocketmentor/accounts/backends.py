"""Authentication backends: Django's (staff passwords) and django-sesame's (sign-in links).

Both find the signed-in person again on every request, by the id in the session: the
person read with the session (accounts/sessions.py), or else with one plain statement (the
ORM takes longer to build that one-row query than the database to answer it). Everything
else, the session's check of the person's password hash included, is theirs.
"""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import backends
from django.db import connection
from sesame import backends as sesame

from pocketmentor.accounts import sessions
from pocketmentor.accounts.models import User


def _read_person(user_id) -> User | None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in User._meta.concrete_fields)
    table = quote(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [int(user_id)])  # noqa: S608
        row = cursor.fetchone()
    return sessions.person_from_row(connection, list(row)) if row else None


class _LeanGetUser:
    def get_user(self, user_id):
        user = sessions.signed_in(user_id) or _read_person(user_id)
        return user if self.user_can_authenticate(user) else None


class PasswordBackend(_LeanGetUser, backends.ModelBackend):
    """Staff sign in with a password."""


class LinkBackend(_LeanGetUser, sesame.ModelBackend):
    """Everyone signs in with a link by e-mail (django-sesame)."""


class PasswordLimits(AxesStandaloneBackend):
    """Refuse a password try for a locked-out account and address (django-axes).

    Only passwords are counted: a sign-in link or the organization's account has no password
    to guess, and is checked by its own backend.
    """

    def authenticate(self, request, username=None, password=None, **credentials):
        if password is None:
            return None
        return super().authenticate(request, username, password, **credentials)
