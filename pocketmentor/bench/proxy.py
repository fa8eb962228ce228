"""A TCP proxy on loopback whose connections can be cut and restored: the database "down".

The outage tests and the burst put it between the server (or the worker) and PostgreSQL.
`cut()` closes every connection through it and refuses new ones until `restore()`, as a
database that restarts or a network that drops does.
"""

import contextlib
import socket
import threading


class CuttableProxy:
    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.closed = False
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.refused = 0  # connections turned away while cut
        threading.Thread(target=self._accept, daemon=True, name="proxy").start()

    def __enter__(self) -> "CuttableProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self.open.clear()
        self._drop_all()

    def restore(self) -> None:
        self.open.set()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self._drop_all()

    def _drop_all(self) -> None:
        with self.lock:
            dropped, self.sockets = self.sockets, set()
        for sock in dropped:
            _close(sock)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                self.refused += 1
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.sockets -= {source, sink}
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
