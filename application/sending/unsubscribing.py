"""One-click unsubscribe (RFC 8058): a signed link blocks the channel for its client, for good."""

from __future__ import annotations

from application.ports import Clock, UnitOfWorkFactory
from application.sending.unsubscribe import UnsubscribeTokens, Unsubscription
from domain.clients import ChannelBlock
from domain.errors import NotFound

UNSUBSCRIBED = "unsubscribed"


class Unsubscribe:
    """Reads unsubscribe links and carries them out; needs no login, only a valid signature."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, tokens: UnsubscribeTokens) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._tokens = tokens

    def read(self, token: str) -> Unsubscription:
        """What the link stands for; NotFound for a malformed or forged token."""
        unsubscription = self._tokens.read(token)
        if unsubscription is None:
            raise NotFound("unsubscribe link", token)
        return unsubscription

    async def __call__(self, token: str) -> bool:
        """Block the channel permanently; returns False when it was blocked for good already."""
        wanted = self.read(token)
        now = self._clock.now()
        async with self._uow() as uow:
            if await uow.clients.get(wanted.client_id) is None:
                raise NotFound("unsubscribe link", token)
            facts = await uow.sends.facts([wanted.client_id], now)
            blocks = facts[wanted.client_id].blocks if wanted.client_id in facts else ()
            if any(b.channel_id == wanted.channel_id and b.permanent for b in blocks):
                return False
            await uow.channel_blocks.add(
                ChannelBlock(
                    client_id=wanted.client_id,
                    channel_id=wanted.channel_id,
                    until=None,
                    reason=UNSUBSCRIBED,
                    create_time=now,
                    update_time=now,
                )
            )
            await uow.commit()
        return True
