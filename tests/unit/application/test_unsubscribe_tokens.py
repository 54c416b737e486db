"""Unsubscribe tokens name a client and a channel and cannot be forged or altered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.sending.unsubscribe import UnsubscribeTokens, Unsubscription, unsubscribe_url

tokens = UnsubscribeTokens(b"a secret for tests")


@given(st.integers(1, 10**12), st.integers(1, 10**6))
def test_a_token_reads_back_as_what_it_was_issued_for(client_id: int, channel_id: int) -> None:
    assert tokens.read(tokens.issue(client_id, channel_id)) == Unsubscription(client_id, channel_id)


def test_an_altered_or_foreign_token_reads_as_nothing() -> None:
    token = tokens.issue(7, 3)
    client, channel, signature = token.split(".")
    assert tokens.read(f"8.{channel}.{signature}") is None
    assert tokens.read(f"{client}.{channel}.{signature[:-1]}x") is None
    assert UnsubscribeTokens(b"another secret").read(token) is None
    for junk in ("", "7.3", "a.b.c", "7.3.x.y", "-1.3.abc", "٧.3.abc"):
        assert tokens.read(junk) is None, junk


def test_the_url_is_built_on_the_public_address() -> None:
    assert (
        unsubscribe_url("https://sb.example.com/", "7.3.sig") == "https://sb.example.com/unsubscribe/7.3.sig"
    )


def test_a_secret_is_required() -> None:
    with pytest.raises(ValueError, match="secret"):
        UnsubscribeTokens(b"")


def test_links_already_sent_keep_working() -> None:
    # Tokens in emails already delivered were signed by earlier releases: the signature must not change.
    assert tokens.issue(7, 3) == "7.3.vjZhN7L8tIS2YeYXuE5Aig"
    assert UnsubscribeTokens(b"k" * 200).issue(123456, 2) == "123456.2.cCiC1oFJz-0YjpGopZ5Vgg"
