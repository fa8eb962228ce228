"""An SMTP server on loopback that only counts what it accepts: the fan-out's receiver.

Run as a program of its own (`python -m pocketmentor.bench.smtp_sink PORT`), without Django.
"""

import signal
import sys

from aiosmtpd.controller import Controller


def sink_main(port: int) -> None:
    """`python -m pocketmentor.bench.smtp_sink PORT`: accept mail on loopback and only count it;
    print the count when stopped (SIGTERM)."""

    class Counter:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            Counter.count += 1
            return "250 OK"

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # for sigwait, in every thread
    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM})
    controller.stop()
    print(Counter.count, flush=True)


if __name__ == "__main__":
    sink_main(int(sys.argv[1]))
