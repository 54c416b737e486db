"""Which address a login attempt is counted against: X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from entrypoints.http.security.client_address import UNVERIFIED, client_source, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "::1"])


def test_without_a_header_the_peer_is_the_source() -> None:
    assert client_source("203.0.113.5", None, PROXIES) == "203.0.113.5"


def test_an_untrusted_peers_header_is_ignored() -> None:
    assert client_source("203.0.113.5", "198.51.100.1", PROXIES) == "203.0.113.5"
    assert client_source("203.0.113.5", "198.51.100.1", ()) == "203.0.113.5"


def test_a_trusted_chain_is_read_from_the_right_past_every_trusted_hop() -> None:
    assert client_source("10.0.0.1", "198.51.100.1, 10.2.3.4", PROXIES) == "198.51.100.1"
    # A client may write anything on the left; only the hop a trusted proxy added counts.
    assert client_source("10.0.0.1", "1.1.1.1, 198.51.100.1", PROXIES) == "198.51.100.1"
    assert client_source("::1", "garbage", PROXIES) == "garbage"


def test_a_peer_that_a_server_took_from_the_header_is_not_believed_when_no_proxy_is_trusted() -> None:
    # What plain uvicorn does by default for a loopback peer: the header's claim became the peer.
    assert client_source("198.51.100.1", "198.51.100.1", ()) == UNVERIFIED
