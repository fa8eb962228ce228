"""Django's PostgreSQL backend, its connections checked without a round trip.

With health checks on (settings.py), Django checks a kept connection before each request's
first query by running `SELECT 1`: a round trip on every request, one of a kept page's two
statements. A server that has closed a connection (restarted, the backend terminated, an
idle timeout) sent its last message or the end of the stream before it went, so the
connection's socket has something to read; a usable idle connection has nothing. Asking
the socket (a poll that does not wait) tells the two apart in microseconds. A connection the
driver saw break is unusable too, as before. Django then closes an unusable connection and
opens a new one for the request, as it does after a failed `SELECT 1`.
"""

import select

from django.db.backends.postgresql import base
from psycopg import OperationalError, pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()  # mid-transaction or mid-query: ask the server
        try:
            socket = conn.pgconn.socket
        except OperationalError:  # the driver has no socket for it any more
            return False
        waiting = select.poll()
        waiting.register(socket, select.POLLIN)
        return not waiting.poll(0)
