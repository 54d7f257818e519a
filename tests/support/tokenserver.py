"""A token server of the tests' own, for the registry's ``auth: token`` mode.

It answers ``GET /token?service=...&scope=...`` (HTTP Basic login) and
``POST /token`` (OAuth refresh token) with an RS256 JWT whose ``x5c`` header
carries the signing certificate, the certificate the registry is given as
``rootcertbundle``. It counts what it is asked.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import attrs
import jwt

from .httpserver import LoopbackServer
from .pki import SigningKey

ISSUER = "watchtower-test-issuer"
SERVICE = "watchtower-test-registry"


@attrs.frozen
class TokenRequest:
    """One request the token server received."""

    method: str
    scopes: tuple[str, ...]
    service: str
    user: str | None
    headers: Mapping[str, str]
    body: str


class TokenServer:
    """A loopback token server; use as a context manager or call ``stop``."""

    def __init__(
        self,
        directory: Path,
        *,
        users: Mapping[str, str] | None = None,
        refresh_tokens: Mapping[str, str] | None = None,
        anonymous_pull: bool = False,
        expires_in: int = 300,
    ) -> None:
        self.signer = SigningKey.create(directory)
        self.users = dict(users or {})
        self.refresh_tokens = dict(refresh_tokens or {})  # refresh token -> user
        self.anonymous_pull = anonymous_pull
        self.expires_in = expires_in
        self.requests: list[TokenRequest] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._serve)
        self.port = self._server.port

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def registry_auth(self) -> dict[str, Any]:
        """The registry's ``auth:`` configuration for this server."""
        return {
            "token": {
                "realm": self.realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(self.signer.cert_path),
            }
        }

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> TokenServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def issue(self, user: str | None, scopes: tuple[str, ...]) -> str:
        """A signed token granting ``user`` the actions of ``scopes``."""
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            granted = wanted if user else [a for a in wanted if a == "pull" and self.anonymous_pull]
            if kind == "repository" and granted:
                access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": SERVICE,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return jwt.encode(
            claims, self.signer.key, algorithm="RS256", headers={"x5c": [self.signer.der_b64]}
        )

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        self._handle(handler, handler.command)

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        query = urllib.parse.parse_qs(parsed.query)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        user: str | None = None
        status = 200
        if method == "POST":
            form = urllib.parse.parse_qs(body)
            query = {**query, **form}
            refresh = (form.get("refresh_token") or [""])[0]
            user = self.refresh_tokens.get(refresh)
            if user is None:
                status = 401
        else:
            header = handler.headers.get("Authorization", "")
            if header.startswith("Basic "):
                name, _, password = base64.b64decode(header[6:]).decode().partition(":")
                if self.users.get(name) == password:
                    user = name
                else:
                    status = 401
            elif self.users and not self.anonymous_pull:
                status = 401
        scopes = tuple(query.get("scope", []))
        record = TokenRequest(
            method,
            scopes,
            (query.get("service") or [""])[0],
            user,
            {k: v for k, v in handler.headers.items()},
            body,
        )
        with self._lock:
            self.requests.append(record)
        if status != 200:
            payload = b'{"details":"login refused"}'
        else:
            token = self.issue(user, scopes)
            issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            payload = json.dumps(
                {
                    "token": token,
                    "access_token": token,
                    "expires_in": self.expires_in,
                    "issued_at": issued,
                }
            ).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
