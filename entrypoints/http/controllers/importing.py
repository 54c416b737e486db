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
        if request.headers.get("content-type", "").split(";")[0].strip().lower() in NDJSON:
            raw_rows: list[bytes] = await _ndjson_lines(request)
        else:
            try:
                raw_rows = [bytes(r) for r in _array.decode(await request.body())]
            except msgspec.DecodeError as error:
                raise ValidationFailed.field("body", f"not a JSON array of rows: {error}") from error
            if len(raw_rows) > MAX_ROWS:
                raise _too_many()
        rows: list[ImportedCommunication] = []
        rejected: list[tuple[int, str]] = []
        for index, raw in enumerate(raw_rows):
            try:
                rows.append(_row.decode(raw).to_command(index))
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                rejected.append((index, str(error)))
        report = await import_history(rows, request.user)
        return import_out(report, rejected)


CONTROLLERS = [ImportController]
