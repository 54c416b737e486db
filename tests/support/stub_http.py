"""A local HTTP server for provider tests: real sockets, real HTTP, answers chosen by the test.

It runs uvicorn in a thread on 127.0.0.1 and a free port, records every request, and answers with
the test's handler, so adapters are tested over the wire against what the remote system expects.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """JSON-encoded unless bytes."""


Handler = Callable[[Recorded], Reply]


@dataclass
class StubServer:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    handler: Handler = lambda request: Reply()


async def answer_lifespan(receive: Any, send: Any) -> None:
    """Answers an ASGI server's lifespan messages: a stub has nothing to start or stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return


async def read_body(receive: Any) -> bytes:
    """The whole request body, however many messages it came in."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _asgi(stub: StubServer) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        body = await read_body(receive)
        request = Recorded(
            method=scope["method"],
            path=scope["path"],
            query=parse_qs(scope["query_string"].decode()),
            headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body=body,
        )
        stub.requests.append(request)
        reply = stub.handler(request)
        payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serves an ASGI app with uvicorn on 127.0.0.1 and a free port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def stub_server() -> Iterator[StubServer]:
    stub = StubServer(url="")
    with serving(_asgi(stub)) as url:
        stub.url = url
        yield stub
