"""A client's link to a Telegram chat, made by a one-time deep-link code (``/start CODE``).

One row per client: ``code`` is the pending one-time code (None once used), ``chat_id`` the chat the
client linked (None until then). Asking for a code again while linked issues a new one; using it moves
the link to the chat that used it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.entity import Entity, Problems

CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
"""Telegram allows A-Z, a-z, 0-9, _ and - in a start parameter, at most 64 characters."""


@dataclass(eq=False, kw_only=True)
class TelegramLink(Entity):
    client_id: int
    code: str | None = None
    chat_id: str | None = None
    linked_at: datetime | None = None

    def __post_init__(self) -> None:
        problems = Problems()
        if self.code is not None and not CODE.match(self.code):
            problems.add("code", "must be 16 to 64 of A-Z, a-z, 0-9, _ and -")
        if self.chat_id is not None and not re.fullmatch(r"-?\d{1,20}", self.chat_id):
            problems.add("chat_id", "must be a Telegram chat id")
        problems.raise_if_any()

    @property
    def linked(self) -> bool:
        return self.chat_id is not None
