"""POST /api/v1/communications/import: past communications as a JSON array or NDJSON stream."""

# No `from __future__ import annotations`: Litestar must see the answer Structs.

from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency

from application.decisions.importing import MAX_ROWS, ImportedCommunication, ImportHistory
from domain.access import Permission, Principal
from domain.errors import ValidationFailed
from entrypoints.http.auth import requires
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.importing import ImportOut, ImportRowIn, import_out

NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl")
_row = msgspec.json.Decoder(ImportRowIn)
_array = msgspec.json.Decoder(list[msgspec.Raw])
_rows = msgspec.json.Decoder(list[ImportRowIn])


def _too_many() -> ValidationFailed:
    return ValidationFailed.field("body", f"at most {MAX_ROWS:,} rows per request")


async def _ndjson_lines(request: Request[Any, Any, Any]) -> list[bytes]:
    """The body's lines, read as it streams in; refused as soon as it passes the row limit."""
    lines: list[bytes] = []
    pending = b""
    async for chunk in request.stream():
        pending += chunk
        *complete, pending = pending.split(b"\n")
        lines += [line for line in complete if line.strip()]
        if len(lines) > MAX_ROWS:
            raise _too_many()
    if pending.strip():
        lines.append(pending)
    if len(lines) > MAX_ROWS:
        raise _too_many()
    return lines


def _all_valid(body: bytes, expected: int | None) -> list[ImportRowIn] | None:
    """Every row of the body decoded in one call, when all of them are valid (the usual import):
    no per-row decoder calls or raw copies. None when any is not, or when the rows are not the
    ``expected`` number (NDJSON lines joined into one array must give one row each): the rows
    are then decoded one by one, to reject each bad one by its index."""
    try:
        decoded = _rows.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if len(decoded) > MAX_ROWS:
        raise _too_many()
    if expected is not None and len(decoded) != expected:
        return None
    return decoded


def _commands(decoded: list[ImportRowIn]) -> list[ImportedCommunication]:
    return [row.to_command(index) for index, row in enumerate(decoded)]


def _listed(body: bytes) -> list[bytes]:
    try:
        raw_rows = [bytes(r) for r in _array.decode(body)]
    except msgspec.DecodeError as error:
        raise ValidationFailed.field("body", f"not a JSON array of rows: {error}") from error
    if len(raw_rows) > MAX_ROWS:
        raise _too_many()
    return raw_rows


def _one_by_one(raw_rows: list[bytes], rejected: list[tuple[int, str]]) -> list[ImportedCommunication]:
    """The valid rows as commands; each invalid one goes to ``rejected`` with its index."""
    rows: list[ImportedCommunication] = []
    for index, raw in enumerate(raw_rows):
        try:
            rows.append(_row.decode(raw).to_command(index))
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            rejected.append((index, str(error)))
    return rows


class ImportController(Controller):
    tags = ["communications"]  # noqa: RUF012
    dependencies = {"import_history": use_case("import_history")}  # noqa: RUF012

    @post(
        "/api/v1/communications/import",
        guards=[requires(Permission.SEND_COMMUNICATIONS)],
        status_code=200,
        summary="Import past communications (JSON array, or NDJSON with Content-Type application/x-ndjson)",
        description=(
            "Up to 10,000 rows. Each row: uuid (optional, makes a re-import idempotent), clientId or "
            "project + guid, communicationTypeId, channelId, direction, startedAt, finishedAt, status "
            "(done, failed, cancelled), deliveryStatus, responded, employeeId, departmentId, result. "
            "Valid rows are kept; the others come back in `rejected` with their index and reason."
        ),
    )
    async def import_rows(
        self, request: Request[Principal, Any, Any], import_history: NamedDependency[ImportHistory]
    ) -> ImportOut:
        rejected: list[tuple[int, str]] = []
        if request.headers.get("content-type", "").split(";")[0].strip().lower() in NDJSON:
            lines = await _ndjson_lines(request)
            decoded = _all_valid(b"[" + b",".join(lines) + b"]", len(lines))
            rows = _commands(decoded) if decoded is not None else _one_by_one(lines, rejected)
        else:
            body = await request.body()
            decoded = _all_valid(body, None)
            rows = _commands(decoded) if decoded is not None else _one_by_one(_listed(body), rejected)
        report = await import_history(rows, request.user)
        return import_out(report, rejected)


CONTROLLERS = [ImportController]
