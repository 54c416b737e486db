"""Blocking a channel for a client, for ever or until a time; unblocking is deleting the block."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from application.clients.filtering import FilteredCatalog
from application.managed_entities import MustExist, Patch, command_for
from application.ports import Repository, UnitOfWork
from application.queries import AnyOf, Condition
from application.searches import ChannelBlockFields
from domain.clients import ChannelBlock
from domain.errors import ValidationFailed


class ChannelBlocks(FilteredCatalog[ChannelBlock]):
    """One block per client and channel: blocking a blocked pair again changes its block.

    List filter beyond the entity's fields: ``active`` (true: in force now; false: run out).
    """

    kind = "channel block"
    command = command_for(ChannelBlock, "NewChannelBlock")
    fields = ChannelBlockFields
    key_fields = ()
    search_fields = (ChannelBlockFields.reason,)
    must_exist = (
        MustExist("client_id", lambda uow: uow.clients, "client"),
        MustExist("channel_id", lambda uow: uow.channels, "channel"),
    )
    resolved_fields = (ChannelBlockFields.active,)

    def repo(self, uow: UnitOfWork) -> Repository[ChannelBlock]:
        return uow.channel_blocks

    def build(self, values: Mapping[str, Any]) -> ChannelBlock:
        return ChannelBlock(**values)

    async def add(self, uow: UnitOfWork, values: Mapping[str, Any]) -> ChannelBlock:
        self._refuse_past(values.get("until"))
        existing = await uow.channel_blocks.first(
            ChannelBlockFields.client_id.eq(values["client_id"]),
            ChannelBlockFields.channel_id.eq(values["channel_id"]),
        )
        if existing is not None:
            changes = {"until": values.get("until"), "reason": values.get("reason")}
            return await super().apply(uow, existing, Patch(changes))
        return await super().add(uow, values)

    async def apply(self, uow: UnitOfWork, current: ChannelBlock, patch: Patch) -> ChannelBlock:
        self._refuse_past(patch.changes.get("until"))
        return await super().apply(uow, current, patch)

    def rebuild(self, current: ChannelBlock, changes: Mapping[str, Any]) -> ChannelBlock:
        # Moving a block to another client or channel would make it a different block.
        fixed = {"client_id", "channel_id"} & set(changes)
        if fixed:
            raise ValidationFailed.field(sorted(fixed)[0], "cannot be changed: unblock and block again")
        return super().rebuild(current, changes)

    def _refuse_past(self, until: datetime | None) -> None:
        if until is not None and until <= self._clock.now():
            raise ValidationFailed.field("until", "must be in the future; leave it out to block for ever")

    async def resolve(self, uow: UnitOfWork, condition: Condition) -> Condition | AnyOf:
        now = self._clock.now()
        if condition.value:
            return AnyOf((ChannelBlockFields.until.is_null(), ChannelBlockFields.until.gt(now)))
        return ChannelBlockFields.until.lte(now)
