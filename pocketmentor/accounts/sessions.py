"""Django's database sessions, read with one statement of plain SQL.

Every signed-in request reads its session. Building that one-table query with the ORM takes
ten times as long as running it, and on a kept participant page (learning/pages.py) that
was a fifth of the whole request. Writes, expiry and everything else stay Django's.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        sql = (
            f"SELECT session_data FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
            "WHERE session_key = %s AND expire_date > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
