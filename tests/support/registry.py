"""A real registry (Debian's docker-registry, CNCF distribution) on 127.0.0.1.

``RegistryServer.start(tmp_path)`` serves anonymously on a free port and
keeps its access log in ``log_path``, so tests can count what the registry saw.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import attrs

from .net import free_port, wait_for_port

BINARY = "docker-registry"


def available() -> bool:
    """True when the registry binary is installed."""
    return shutil.which(BINARY) is not None


@attrs.define
class RegistryServer:
    """A running registry process."""

    port: int
    root: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, the registry part of image references."""
        return f"127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        root: Path,
        *,
        auth: dict[str, Any] | None = None,
        tls: dict[str, str] | None = None,
        notifications: dict[str, Any] | None = None,
    ) -> RegistryServer:
        """Start a registry whose storage and config live under ``root``.

        ``notifications`` is the config's ``notifications:`` section (see
        :func:`notifications_to`).
        """
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        http: dict[str, Any] = {"addr": f"127.0.0.1:{port}"}
        if tls:
            http["tls"] = tls
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(root / "data")},
                "delete": {"enabled": True},
            },
            "http": http,
        }
        if auth:
            config["auth"] = auth
        if notifications:
            config["notifications"] = notifications
        config_path = root / "config.json"
        # YAML is a superset of JSON: the registry reads this file as it is.
        config_path.write_text(json.dumps(config))
        log_path = root / "registry.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [BINARY, "serve", str(config_path)], stdout=log, stderr=subprocess.STDOUT
            )
        server = cls(port, root, log_path, process)
        try:
            wait_for_port(port)
        except TimeoutError:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        """Stop the registry and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def access_log(self) -> list[str]:
        """The request lines the registry logged so far (``"HEAD /v2/... HTTP/1.1" 200``)."""
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"' in line and ("HTTP/1.1" in line or "HTTP/2" in line) and "msg=" not in line:
                lines.append(line)
        return lines


def htpasswd_auth(root: Path, users: dict[str, str]) -> dict[str, Any]:
    """Write a bcrypt htpasswd file for ``users``; the registry's ``auth:`` for it."""
    import bcrypt

    root.mkdir(parents=True, exist_ok=True)
    path = root / "htpasswd"
    lines = [
        f"{name}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}"
        for name, password in users.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return {"htpasswd": {"realm": "watchtower-test", "path": str(path)}}


def notifications_to(url: str, token: str) -> dict[str, Any]:
    """The ``notifications:`` section that POSTs every event to ``url`` with a bearer token.

    Short timeouts and backoff, so that a test's endpoint that is not up
    yet delays nothing for long.
    """
    return {
        "endpoints": [
            {
                "name": "watchtower",
                "url": url,
                "headers": {"Authorization": [f"Bearer {token}"]},
                "timeout": "2s",
                "threshold": 3,
                "backoff": "1s",
            }
        ]
    }
