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
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.fastpath import driver_in_transaction, row_by_id
from adapters.sqlalchemy.filters import unstorable
from adapters.sqlalchemy.repository import columns_of
from adapters.sqlalchemy.tables import channels, communication_types, departments, rules
from application.sending.store import SendSetting
from domain.dictionaries import Channel
from domain.entity import Entity
from domain.organisation import Department
from domain.rules import Rule

_POSTGRES = (
    "SELECT (SELECT d FROM departments d WHERE d.id = $1) AS department, "
    "EXISTS (SELECT 1 FROM communication_types t WHERE t.id = $2) AS type_found, "
    "ARRAY(SELECT r FROM rules r WHERE r.department_id = $1 AND r.active ORDER BY r.id) AS rules, "
    "ARRAY(SELECT c FROM channels c WHERE c.id = ANY($3::INTEGER[])) AS channels"
)

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
    # Ids no column can hold name nothing (the driver would refuse them).
    wanted = sorted({i for i in channel_ids if not unstorable(channels.c.id, i)})
    if unstorable(departments.c.id, department_id) or unstorable(communication_types.c.id, type_id):
        return SendSetting(department=None, type_found=False, rules=[], channels={})
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return await _one_by_one(connection, department_id, type_id, wanted)
    driver = await driver_in_transaction(connection)
    record = await driver.fetchrow(_POSTGRES, department_id, type_id, wanted)
    department = record["department"]
    found = [composite_entity(Channel, channels, dialect, row) for row in record["channels"]]
    return SendSetting(
        department=None
        if department is None
        else composite_entity(Department, departments, dialect, department),
        type_found=bool(record["type_found"]),
        rules=[composite_entity(Rule, rules, dialect, row) for row in record["rules"]],
        channels={c.id or 0: c for c in found},
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
