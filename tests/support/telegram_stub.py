"""A local stand-in for the Telegram Bot API's ``sendMessage``, speaking its wire protocol, for tests.

``POST /bot<token>/sendMessage`` with a JSON body ``{"chat_id", "text"}``. It answers like Telegram:
``{"ok": true, "result": Message}``, or ``{"ok": false, "error_code", "description"}`` with
Telegram's texts: 401 Unauthorized (a wrong token: Telegram says 401 or 404), 400 chat not found,
400 message text is empty, 403 bot was blocked by the user, and 429 Too Many Requests with
``parameters.retry_after``. ``script`` queues forced answers per chat id (``"429"``, ``"500"``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support.stub_http import answer_lifespan, read_body, serving

PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")


@dataclass
class Sent:
    chat_id: str
    text: str
    message_id: int


@dataclass
class TelegramStub:
    token: str = "123456:" + "A" * 35
    chats: set[str] = field(default_factory=lambda: {"1001", "1002", "1003"})
    """Chats that exist and have not blocked the bot."""
    blocked: set[str] = field(default_factory=set)
    script: dict[str, list[str]] = field(default_factory=dict)
    retry_after: int = 5
    url: str = ""
    sent: list[Sent] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    """(path, content type, decoded JSON body) of every request."""
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def answer(self, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        matched = PATH.match(path)
        if matched is None or matched["token"] != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if matched["method"] != "sendMessage":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        if not isinstance(body, dict) or "chat_id" not in body:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
        chat = str(body["chat_id"])
        forced = self.script.get(chat)
        if forced:
            kind = forced.pop(0)
            if kind == "429":
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                }
            return int(kind), {"ok": False, "error_code": int(kind), "description": "Internal Server Error"}
        if not str(body.get("text") or "").strip():
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        if chat in self.blocked:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        if chat not in self.chats:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        sent = Sent(chat_id=chat, text=str(body["text"]), message_id=next(self._ids))
        self.sent.append(sent)
        result = {
            "message_id": sent.message_id,
            "from": {
                "id": 123456,
                "is_bot": True,
                "first_name": "Switchboard",
                "username": "switchboard_bot",
            },
            "chat": {"id": int(chat), "type": "private"},
            "date": 1764590000,
            "text": sent.text,
        }
        return 200, {"ok": True, "result": result}

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        raw = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        content_type = headers.get("content-type", "")
        try:
            body = json.loads(raw) if content_type.startswith("application/json") else None
        except ValueError:
            body = None
        self.requests.append((scope["path"], content_type, body))
        status, answer = self.answer(scope["path"], body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


@contextmanager
def telegram_stub(**options: Any) -> Iterator[TelegramStub]:
    stub = TelegramStub(**options)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:  # uvicorn wants a function
        await stub.app(scope, receive, send)

    with serving(app) as url:
        stub.url = url
        yield stub
