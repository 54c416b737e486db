"""A local Web Push service and the browsers subscribed to it, for push sender tests.

The service listens over TLS (push endpoints are https) and checks each POST the way a push service
does: the VAPID ``Authorization: vapid t=<JWT>,k=<key>`` header (the ES256 signature verified with the
public key, ``aud`` its own origin, ``exp`` within 24 hours, ``sub`` a contact), ``Content-Encoding:
aes128gcm`` and a ``TTL``. It then answers what the test scripted for that endpoint (201 by default),
and for a 201 decrypts the body as the browser would, with http_ece and the browser's private key
and auth secret, keeping the plaintext.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support.smtp_server import self_signed
from tests.support.stub_http import Recorded, Reply, StubServer, _asgi


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One subscribed browser: its ECDH key pair and auth secret, made by the test."""

    path: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def decrypt(self, body: bytes) -> bytes:
        return bytes(
            http_ece.decrypt(
                body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
            )
        )


@dataclass
class Delivered:
    path: str
    payload: dict[str, Any]
    headers: dict[str, str]


class PushService:
    """The push service's behaviour: which VAPID key it expects and what it answers per endpoint."""

    def __init__(self, vapid_public_key: str) -> None:
        self.vapid_public_key = vapid_public_key
        self.url = ""
        self.browsers: dict[str, Browser] = {}
        self.script: dict[str, list[int]] = {}
        """Statuses to answer an endpoint's next posts with, in order; then 201."""
        self.delivered: list[Delivered] = []
        self.refused: list[str] = []
        """Why posts were refused before the script was consulted (bad VAPID, encoding...)."""
        self.posts: list[str] = []
        self.tokens: list[str] = []

    def browser(self) -> Browser:
        browser = Browser(path=f"/push/{len(self.browsers) + 1}")
        self.browsers[browser.path] = browser
        return browser

    def endpoint(self, browser: Browser) -> str:
        return self.url + browser.path

    def handle(self, request: Recorded) -> Reply:
        self.posts.append(request.path)
        problem = self._check(request)
        if problem is not None:
            self.refused.append(problem)
            return Reply(401 if "VAPID" in problem else 400, {"reason": problem})
        browser = self.browsers.get(request.path)
        if browser is None:
            return Reply(404, {"reason": "no such subscription"})
        queued = self.script.get(request.path) or []
        status = queued.pop(0) if queued else 201
        if status == 201:
            self.delivered.append(
                Delivered(request.path, json.loads(browser.decrypt(request.body)), dict(request.headers))
            )
            return Reply(201, b"")
        if status == 410:
            self.browsers.pop(request.path, None)
        return Reply(status, {"reason": f"scripted {status}"})

    def _check(self, request: Recorded) -> str | None:
        if request.method != "POST":
            return f"method {request.method}"
        if request.headers.get("content-encoding") != "aes128gcm":
            return f"Content-Encoding {request.headers.get('content-encoding')!r}"
        if "ttl" not in request.headers:
            return "no TTL header"
        authorization = request.headers.get("authorization", "")
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return f"VAPID: scheme {scheme!r}"
        parts = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
        if parts.get("k") != self.vapid_public_key:
            return "VAPID: k is not the application server key the browser subscribed with"
        token = parts.get("t", "")
        self.tokens.append(token)
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(unb64url(header_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(signature_b64)
        except ValueError:
            return "VAPID: t is not a JWT"
        if header.get("alg") != "ES256" or len(signature) != 64:
            return f"VAPID: alg {header.get('alg')!r}"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(self.vapid_public_key))
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "VAPID: the signature does not verify"
        if claims.get("aud") != self.url:
            return f"VAPID: aud {claims.get('aud')!r} is not {self.url!r}"
        now = time.time()
        if not now < float(claims.get("exp", 0)) <= now + 24 * 3600:
            return "VAPID: exp is not within 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "VAPID: sub is not a contact"
        return None


@contextmanager
def push_service(vapid_public_key: str, directory: Path) -> Iterator[tuple[PushService, Path]]:
    """A push service over TLS on 127.0.0.1; yields it and the CA file that trusts its certificate."""
    import socket
    import threading

    import uvicorn

    service = PushService(vapid_public_key)
    stub = StubServer(url="", handler=service.handle)
    cert, key = self_signed(directory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        _asgi(stub), log_level="warning", lifespan="on", ssl_certfile=str(cert), ssl_keyfile=str(key)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the push service did not start")
        time.sleep(0.01)
    service.url = f"https://127.0.0.1:{port}"
    try:
        yield service, cert
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


__all__ = ["Browser", "Delivered", "PushService", "push_service"]
