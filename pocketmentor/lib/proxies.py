"""The client's address behind the proxies we trust (TRUSTED_PROXIES, docs/configuration.md).

Every proxy appends the address it was reached from to `X-Forwarded-For`, so the header is
read from the right: each hop a trusted proxy wrote is believed, and the first hop that is not
a trusted proxy is the client. Anything further left was written by the client itself and may
be made up. A peer that is not a trusted proxy is the client, whatever its headers say.
"""

import functools
import ipaddress
from collections.abc import Sequence

from django.conf import settings

from pocketmentor.lib.env import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=4096)  # each request reads its peer's address three times
def _address(text: str) -> Address | None:
    """Read one hop: an IPv4 or IPv6 address, perhaps with a port (`[::1]:443`, `1.2.3.4:80`)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def peer_is_trusted(peer: str, proxies: Sequence[Network]) -> bool:
    """Say whether the peer is a trusted proxy; no address at all is a local Unix socket."""
    if not peer:
        return True
    address = _address(peer)
    return address is not None and _trusted(address, proxies)


def client_address(peer: str, forwarded_for: str, proxies: Sequence[Network]) -> str:
    """Return the client's address: the peer, or the first untrusted hop from the right."""
    client = str(_address(peer) or peer)
    if not peer_is_trusted(peer, proxies):
        return client
    for hop in reversed(forwarded_for.split(",") if forwarded_for else []):
        address = _address(hop)
        if address is None:
            break  # not an address: keep the last hop we could read, a trusted proxy's
        client = str(address)
        if not _trusted(address, proxies):
            break
    return client


class ClientAddressMiddleware:
    """Put the client's address in REMOTE_ADDR, where rate limits and logs read it.

    The peer's address is kept in `pocketmentor.peer`. `X-Forwarded-Proto` is dropped unless a
    trusted proxy sent it, so that only a proxy can make a request count as HTTPS.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        proxies = settings.TRUSTED_PROXIES
        meta["pocketmentor.peer"] = peer
        meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR", ""), proxies)
        if not peer_is_trusted(peer, proxies):
            meta.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)
