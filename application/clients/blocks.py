"""Blocking a channel for a client, for ever or until a time; unblocking is deleting the block."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from application.clients.filtering import FilteredReading
from application.managed_entities import (
    Command,
    MustExist,
    attributes_of,
    changes_of,
    check_references,
    command_for,
    patch_for,
    require_command,
)
from application.ports import Repository, UnitOfWork
from application.queries import AnyOf, Condition
from application.searches import ChannelBlockFields
from domain.clients import ChannelBlock
from domain.errors import ValidationFailed

NewChannelBlock = command_for(ChannelBlock, "NewChannelBlock")
"""Block a channel for a client: for ever, or ``until`` a time."""

ChannelBlockChange = patch_for(NewChannelBlock, "ChannelBlockChange", without=("client_id", "channel_id"))
"""Change a block's end or reason. Moving a block to another client or channel would make it a
different block: unblock and block again."""

REFERENCES = (
    MustExist("client_id", lambda uow: uow.clients, "client"),
    MustExist("channel_id", lambda uow: uow.channels, "channel"),
)


class ChannelBlocks(FilteredReading[ChannelBlock]):
    """One block per client and channel: blocking a blocked pair again changes its block.

    List filter beyond the entity's fields: ``active`` (true: in force now; false: run out).
    """

    kind = "channel block"
    command = NewChannelBlock
    patch = ChannelBlockChange
    fields = ChannelBlockFields
    key_fields = ()
    search_fields = (ChannelBlockFields.reason,)
    resolved_fields = (ChannelBlockFields.active,)

    def repo(self, uow: UnitOfWork) -> Repository[ChannelBlock]:
        return uow.channel_blocks

    async def create(self, command: Any) -> ChannelBlock:
        """Blocks the channel for the client (a ``NewChannelBlock``); a blocked pair gets the new
        end and reason."""
        require_command(self, command, NewChannelBlock)
        self._refuse_past(command.until)
        now = self._clock.now()
        async with self._uow_factory() as uow:
            await check_references(uow, REFERENCES, attributes_of(command))
            existing = await uow.channel_blocks.first(
                ChannelBlockFields.client_id.eq(command.client_id),
                ChannelBlockFields.channel_id.eq(command.channel_id),
            )
            if existing is None:
                block = await uow.channel_blocks.add(
                    ChannelBlock(**attributes_of(command), create_time=now, update_time=now)
                )
            else:
                block = dataclasses.replace(
                    existing, until=command.until, reason=command.reason, update_time=now
                )
                await uow.channel_blocks.update(block)
            await uow.commit()
        return block

    async def change(self, block_id: int, patch: Command) -> ChannelBlock:
        """Changes a block's end or reason (a ``ChannelBlockChange``)."""
        require_command(self, patch, ChannelBlockChange)
        changes = changes_of(patch)
        self._refuse_past(changes.get("until"))
        async with self._uow_factory() as uow:
            current = await self.load(uow, block_id)
            block = dataclasses.replace(current, **changes, update_time=self._clock.now())
            await uow.channel_blocks.update(block)
            await uow.commit()
        return block

    async def delete(self, block_id: int) -> None:
        """Unblocks: the block goes."""
        async with self._uow_factory() as uow:
            await self.load(uow, block_id)
            await uow.channel_blocks.delete(block_id)
            await uow.commit()

    def _refuse_past(self, until: datetime | None) -> None:
        if until is not None and until <= self._clock.now():
            raise ValidationFailed.field("until", "must be in the future; leave it out to block for ever")

    async def resolve(self, uow: UnitOfWork, condition: Condition) -> Condition | AnyOf:
        now = self._clock.now()
        if condition.value:
            return AnyOf((ChannelBlockFields.until.is_null(), ChannelBlockFields.until.gt(now)))
        return ChannelBlockFields.until.lte(now)
