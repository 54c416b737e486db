"""Client groups and their members, kept in a link table so a group can hold millions."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repository import SqlRepository
from domain.clients import ClientGroup

members = t.client_group_members


class SqlClientGroups(SqlRepository[ClientGroup]):
    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection, t.client_groups, ClientGroup, "client group")
        self._connection = connection

    async def add_members(self, group_id: int, client_ids: Iterable[int]) -> int:
        wanted = set(client_ids)
        if not wanted:
            return 0
        present = set(
            (
                await self._connection.execute(
                    sa.select(members.c.client_id).where(
                        members.c.group_id == group_id, members.c.client_id.in_(wanted)
                    )
                )
            ).scalars()
        )
        new = sorted(wanted - present)
        if new:
            await self._connection.execute(
                members.insert(), [{"group_id": group_id, "client_id": c} for c in new]
            )
        return len(new)

    async def remove_members(self, group_id: int, client_ids: Iterable[int]) -> int:
        wanted = list(set(client_ids))
        if not wanted:
            return 0
        result = await self._connection.execute(
            members.delete().where(members.c.group_id == group_id, members.c.client_id.in_(wanted))
        )
        return int(result.rowcount)

    async def groups_of(self, client_id: int) -> list[int]:
        rows = await self._connection.execute(
            sa.select(members.c.group_id).where(members.c.client_id == client_id).order_by(members.c.group_id)
        )
        return list(rows.scalars())

    async def delete(self, entity_id: int) -> None:
        await self._connection.execute(members.delete().where(members.c.group_id == entity_id))
        await super().delete(entity_id)
