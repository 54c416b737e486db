"""What a send reads before its audience (its department, type, rules and channels), together.

On PostgreSQL one statement answers all four: each table's rows come back as composite values
(asyncpg decodes them with the connection's own codecs, field by field) and pass their columns'
result processors, as a row of the table read alone would; a single send used to spend four
round trips on them. Elsewhere the four reads run one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.fastpath import driver_rows, row_by_id
from adapters.sqlalchemy.filters import unstorable
from adapters.sqlalchemy.repository import columns_of
from adapters.sqlalchemy.tables import channels, communication_types, departments, rules
from application.sending.store import SendFacts, SendSetting
from domain.clients import Client
from domain.dictionaries import Channel
from domain.entity import Entity
from domain.organisation import Department
from domain.rules import Rule

_d, _t, _r, _c = (
    t.alias(n) for t, n in ((departments, "d"), (communication_types, "t"), (rules, "r"), (channels, "c"))
)
_DEPARTMENT_ID = sa.bindparam("department_id", type_=sa.Integer)
SETTING = sa.select(
    sa.select(_d.table_valued()).where(_d.c.id == _DEPARTMENT_ID).scalar_subquery().label("department"),
    sa.exists().where(_t.c.id == sa.bindparam("type_id", type_=sa.Integer)).label("type_found"),
    sa.select(sa.func.array_agg(aggregate_order_by(_r.table_valued(), _r.c.id)))
    .where(_r.c.department_id == _DEPARTMENT_ID, _r.c.active.is_(True))
    .scalar_subquery()
    .label("rules"),
    sa.select(sa.func.array_agg(_c.table_valued()))
    .where(_c.c.id == sa.any_(sa.bindparam("channel_ids", type_=postgresql.ARRAY(sa.Integer))))
    .scalar_subquery()
    .label("channels"),
)
"""The four reads on PostgreSQL, each table's rows as composite values (NULL for none)."""

E = TypeVar("E", bound=Entity)
_Processors = tuple[tuple[str, Callable[[Any], Any] | None], ...]
_PROCESSORS: dict[tuple[str, str, str], _Processors] = {}


def _processors(entity: type[Entity], table: sa.Table, dialect: Dialect) -> _Processors:
    key = (entity.__qualname__, table.name, dialect.name)
    found = _PROCESSORS.get(key)
    if found is None:
        found = _PROCESSORS[key] = tuple(
            (name, table.c[name].type.dialect_impl(dialect).result_processor(dialect, None))
            for name in ("id", *columns_of(entity, table))
        )
    return found


def composite_entity(entity: type[E], table: sa.Table, dialect: Dialect, row: Mapping[str, Any]) -> E:
    """The entity of a row of ``table`` read as a composite value (``SELECT t FROM t``), as its
    repository builds it: the entity's columns, each through its column's result processor."""
    # Stored rows were valid when written: rebuilt without today's validation, as repositories do.
    made = object.__new__(entity)
    made.__dict__.update(
        {
            name: process(row[name]) if process is not None and row[name] is not None else row[name]
            for name, process in _processors(entity, table, dialect)
        }
    )
    return made


async def send_setting(
    connection: AsyncConnection, department_id: int, type_id: int, channel_ids: Sequence[int]
) -> SendSetting:
    wanted = storable_channels(channel_ids)
    if storable_setting(department_id, type_id) is None:
        return SendSetting(department=None, type_found=False, rules=[], channels={})
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return await _one_by_one(connection, department_id, type_id, wanted)
    (row,) = await driver_rows(connection, SETTING, setting_values(department_id, type_id, wanted))
    return setting_of(row, dialect)


def storable_channels(channel_ids: Sequence[int]) -> list[int]:
    """The channel ids a column can hold: the others name nothing (the driver would refuse them)."""
    return sorted({i for i in channel_ids if not unstorable(channels.c.id, i)})


def storable_setting(department_id: int, type_id: int) -> tuple[int, int] | None:
    """Both ids, or None when a column cannot hold one (then it names nothing)."""
    if unstorable(departments.c.id, department_id) or unstorable(communication_types.c.id, type_id):
        return None
    return department_id, type_id


def setting_values(department_id: int, type_id: int, channel_ids: Sequence[int]) -> dict[str, Any]:
    """``SETTING``'s parameters (ids a column can hold)."""
    return {"department_id": department_id, "type_id": type_id, "channel_ids": list(channel_ids)}


def setting_of(
    row: Mapping[str, Any], dialect: Dialect, recipient: tuple[Client | None, SendFacts | None] | None = None
) -> SendSetting:
    """The setting in a row of ``SETTING`` (or of a statement with its columns), with a single
    send's ``recipient`` when it was read along."""
    department = row["department"]
    found = [composite_entity(Channel, channels, dialect, c) for c in row["channels"] or ()]
    return SendSetting(
        department=None
        if department is None
        else composite_entity(Department, departments, dialect, department),
        type_found=bool(row["type_found"]),
        rules=[composite_entity(Rule, rules, dialect, r) for r in row["rules"] or ()],
        channels={c.id or 0: c for c in found},
        recipient=recipient,
    )


def row_entity(entity: type[E], table: sa.Table, row: Mapping[str, Any]) -> E:
    """The entity of a row read through SQLAlchemy or ``row_by_id`` (its values processed already)."""
    made = object.__new__(entity)
    made.__dict__.update({name: row[name] for name in ("id", *columns_of(entity, table))})
    return made


async def _one_by_one(
    connection: AsyncConnection, department_id: int, type_id: int, channel_ids: Sequence[int]
) -> SendSetting:
    # Rows read through SQLAlchemy or row_by_id come processed already.
    department = await row_by_id(connection, departments, department_id)
    type_found = await row_by_id(connection, communication_types, type_id) is not None
    active = sa.select(rules).where(rules.c.department_id == department_id, rules.c.active.is_(True))
    found = sa.select(channels).where(channels.c.id.in_(channel_ids))
    return SendSetting(
        department=None if department is None else row_entity(Department, departments, department),
        type_found=type_found,
        rules=[row_entity(Rule, rules, row) for row in await _rows(connection, active.order_by(rules.c.id))],
        channels={row["id"]: row_entity(Channel, channels, row) for row in await _rows(connection, found)},
    )


async def _rows(connection: AsyncConnection, statement: sa.Select[Any]) -> list[Mapping[str, Any]]:
    return list((await connection.execute(statement)).mappings())
