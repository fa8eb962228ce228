"""Django's database sessions, each read together with its person in one SQL statement.

Every signed-in request reads its session, then its person (`auth.get_user`). Here one
statement reads both, written out because the ORM takes longer to build such a query than
the database to answer it; the person waits in `signed_in` for the authentication backend
(accounts/backends.py), which Django then checks exactly as always (active, password hash).
Writes, expiry and everything else stay Django's.
"""

from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from pocketmentor.accounts.models import Session, User
from pocketmentor.lib import sql

# The person of the session this request read, until the backend takes them.
_person: ContextVar[User | None] = ContextVar("person", default=None)


def signed_in(user_id) -> User | None:
    """The person of the session this request read, if they are `user_id`; once."""
    person = _person.get()
    if person is None or str(person.pk) != str(user_id):
        return None
    _person.set(None)
    return person


def phone_key(request: HttpRequest) -> str:
    """A name for this signed-in session, for the phone's service worker; "" when signed out.

    The service worker keeps the pages a person opened under it, and drops them when the
    server names another session (someone else signed in) or none (the session ended: signed
    out, deleted, the person deactivated). Each sign-in starts a new session key (Django), so
    each gets a new name. It is an HMAC of the session key: it tells nothing about the session
    key or the person, and cannot be turned into either.
    """
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None or not user.is_authenticated or not session.session_key:
        return ""
    return salted_hmac("pocketmentor.phone-key", session.session_key).hexdigest()[:24]


def forget(**kwargs) -> None:
    """A new request begins: nobody's session is read yet."""
    _person.set(None)


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = data.get(SESSION_KEY)
        return session

    def _get_session_from_db(self):
        _person.set(None)
        connection = connections[router.db_for_read(Session)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_statement(connection), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        *person, data = row
        if person[0] is not None:
            _person.set(person_from_row(connection, person))
        return Session(session_key=self.session_key, session_data=data)


def _statement(connection) -> str:
    """The session with its person (all of the person's columns, in the model's order)."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(f.column)}" for f in User._meta.concrete_fields)
    return (
        f"SELECT {columns}, s.session_data FROM {quote(Session._meta.db_table)} s "  # noqa: S608
        f"LEFT JOIN {quote(User._meta.db_table)} u ON u.id = s.user_id "
        "WHERE s.session_key = %s AND s.expire_date > %s"
    )


def person_from_row(connection, values: list) -> User:
    """A person from their row's values in the model's column order, as the ORM makes one
    (a query's own machinery costs more than the database's answer to such a one-row read)."""
    return sql.model_from_row(User, values, using=connection.alias)
