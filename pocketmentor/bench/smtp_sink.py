"""An SMTP server on loopback that only counts what it accepts: the fan-out's receiver.

Run as a program of its own (`python -m pocketmentor.bench.smtp_sink PORT`), without Django.
"""

import signal
import sys
from collections import Counter

from aiosmtpd.controller import Controller


def sink_main(port: int) -> None:
    """`python -m pocketmentor.bench.smtp_sink PORT`: accept mail on loopback and only count it;
    when stopped (SIGTERM), print how many messages arrived, then how many were a second (or
    later) copy for the same recipient."""

    class Handler:
        per_recipient: Counter = Counter()

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            Handler.per_recipient.update(envelope.rcpt_tos)
            return "250 OK"

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # for sigwait, in every thread
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM})
    controller.stop()
    counts = Handler.per_recipient
    print(sum(counts.values()), flush=True)
    print(sum(n - 1 for n in counts.values()), flush=True)


if __name__ == "__main__":
    sink_main(int(sys.argv[1]))
