"""Which address a request comes from, for the login throttle: proxies are believed only when named.

``X-Forwarded-For`` is believed only from a peer in TRUSTED_PROXIES, and then read from the right,
past every trusted hop. ``serve`` tells uvicorn the same list; a server started another way (for
example plain ``uvicorn entrypoints.asgi:app``, which believes any loopback peer) may already have
put a header's claim in the peer address. When no proxy is trusted and the peer is exactly what the
header claims, the address is not believed: all such requests share one throttle source, so
rotating the header gains nothing and cannot throttle somebody else's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

UNVERIFIED = "forwarded:unverified"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES entries (addresses or CIDR networks) as networks; a bad entry is an error."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_source(peer: str, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The address to count a login attempt against."""
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    if not hops:
        return peer
    if not networks:
        return UNVERIFIED if peer == hops[-1] else peer
    current = peer
    while hops and _is_trusted(current, networks):
        current = hops.pop()
    return current
