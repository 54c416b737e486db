"""A single send's writes on PostgreSQL in one statement: the send, its communication, the
communication's history, its queue row and the client's send counts.

A send to one client used to write them in six statements (the send, the communication's id, the
communication, its history, its queue row, the counts), six round trips and six executions on
the database, which shares this machine's cores with the server. Here they are the data-modifying
CTEs of one statement, in the unit of work's transaction: they all see the same snapshot, and
the foreign keys between them are checked at the end of the statement, when every row is there.
Values pass the columns' own bind processors (``fastpath.driver_rows``), so the rows stored are
the ones the six statements wrote; the contract tests read them back the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from adapters.sqlalchemy.communications import communication_history, communications
from domain.communications import Communication

HISTORY = ("field", "from_status", "to_status", "at", "actor", "note")


def _insert_values(
    table: sa.Table, columns: Sequence[str], prefix: str
) -> tuple[str, list[sa.BindParameter[Any]]]:
    binds = [sa.bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in columns]
    return ", ".join(f":{b.key}" for b in binds), binds


def one_send_statement(
    sends: sa.Table,
    dispatch_queue: sa.Table,
    send_columns: Sequence[str],
    communication_columns: Sequence[str],
    queue_columns: Sequence[str],
) -> sa.TextualSelect:
    """The statement; its parameters are named ``s_<column>``, ``c_<column>`` (the communication
    without its id), ``q_<column>`` (the queue row without its two ids), ``h_<column>`` (arrays,
    one element per history row) and ``day`` (the day the client's send counts under)."""
    send_values, send_binds = _insert_values(sends, send_columns, "s_")
    given = [n for n in communication_columns if n != "id"]
    communication_values, communication_binds = _insert_values(communications, given, "c_")
    queued = [n for n in queue_columns if n not in ("communication_id", "send_id")]
    queue_values, queue_binds = _insert_values(dispatch_queue, queued, "q_")
    history_binds = [
        sa.bindparam(f"h_{name}", type_=postgresql.ARRAY(communication_history.c[name].type))
        for name in HISTORY
    ]
    arrays = ", ".join(f":{b.key}" for b in history_binds)
    sql = (
        f"WITH s AS (INSERT INTO {sends.name} ({', '.join(send_columns)}) VALUES ({send_values}) "
        "RETURNING id), "
        f"c AS (INSERT INTO communications (id, {', '.join(given)}) "
        f"VALUES (nextval(pg_get_serial_sequence('communications', 'id')), {communication_values}) "
        "RETURNING id), "
        f"h AS (INSERT INTO communication_history (communication_id, {', '.join(HISTORY)}) "
        f"SELECT c.id, h.* FROM c, unnest({arrays}) AS h), "
        f"q AS (INSERT INTO {dispatch_queue.name} (communication_id, send_id, {', '.join(queued)}) "
        f"SELECT c.id, s.id, {queue_values} FROM c, s), "
        "days AS (INSERT INTO client_send_days (client_id, day, sends, last_sent_at) "
        "SELECT :q_client_id, CAST(:day AS DATE), 1, :q_due_at WHERE :q_client_id IS NOT NULL "
        "ON CONFLICT (client_id, day) DO UPDATE SET sends = client_send_days.sends + 1, "
        "last_sent_at = GREATEST(client_send_days.last_sent_at, excluded.last_sent_at)) "
        "SELECT s.id AS send_id, c.id AS communication_id FROM s, c"
    )
    day = sa.bindparam("day", type_=sa.Date)
    return (
        sa.text(sql)
        .bindparams(*send_binds, *communication_binds, *queue_binds, *history_binds, day)
        .columns(send_id=sa.Integer, communication_id=sa.BigInteger)
    )


def one_send_values(
    record_values: dict[str, Any],
    communication: Communication,
    communication_columns: Sequence[str],
    queue_row: dict[str, Any],
) -> dict[str, Any]:
    """The statement's parameters: the send's columns, its one communication and its queue row."""
    values = {f"s_{name}": value for name, value in record_values.items()}
    values.update(
        {f"c_{name}": getattr(communication, name) for name in communication_columns if name != "id"}
    )
    values.update({f"q_{name}": value for name, value in queue_row.items()})
    changes = communication.history
    values.update({f"h_{name}": [getattr(h, name) for h in changes] for name in HISTORY})
    values["day"] = queue_row["due_at"].date()
    return values
