"""What the telephony controllers share: their use cases from the container, CSV answers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from litestar.datastructures import State
from litestar.di import Provide


def telephony(name: str) -> Provide:
    """A dependency handing a handler one telephony use case or adapter from the container."""

    def provide(state: State) -> Any:
        return getattr(state.container.telephony, name)()

    return Provide(provide, sync_to_thread=False)


def normalised_phone(state: State, raw: str | None) -> str | None:
    """A phone filter in any notation, as cards store it (E.164)."""
    if raw is None:
        return None
    return state.container.core.phones().to_e164(raw) or raw.strip()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()
