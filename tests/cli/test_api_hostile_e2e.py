"""The real ``watchtower`` command's HTTP API under hostile clients on 127.0.0.1.

Slow bodies and silent TLS clients, guessed tokens and secrets, and an
oversized chunked push whose path carries the push secret.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.api_process import TOKEN, serving
from tests.support.pki import CertificateAuthority

pytestmark = pytest.mark.e2e

SECRET = "hub-push-secret-0f9e8d7c6b5a"
PUSH = ("--push-sources", "registry,dockerhub,generic", "--push-secret", SECRET, "--trace")


@pytest.fixture
def command(dockerd: Any, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    with serving(dockerd.url, tmp_path, ["nothing-to-watch"], *PUSH) as served:
        yield served


def _address(base: str) -> tuple[str, int]:
    host, port = base.split("://")[1].split(":")
    return host, int(port)


def _livez_slowest(base: str, rounds: int, between: float, **kwargs: Any) -> float:
    slowest = 0.0
    for _ in range(rounds):
        started = time.monotonic()
        assert requests.get(f"{base}/livez", timeout=5, **kwargs).text == "OK"
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(between)
    return slowest


def _logs(process: subprocess.Popen[str]) -> str:
    process.terminate()
    out, err = process.communicate(timeout=30)
    return out + err


def test_100_clients_dripping_a_body_leave_livez_answering_within_a_second(
    command: tuple[subprocess.Popen[str], str],
) -> None:
    _, base = command
    head = b"POST /v1/push/registry HTTP/1.1\r\nHost: x\r\nContent-Length: 65000\r\n\r\n"
    with contextlib.ExitStack() as stack:
        drippers = [
            stack.enter_context(socket.create_connection(_address(base), timeout=10))
            for _ in range(100)
        ]
        for conn in drippers:
            conn.sendall(head)
        slowest = 0.0
        for _ in range(4):  # a byte of body from each, every second
            for conn in drippers:
                conn.sendall(b"x")
            slowest = max(slowest, _livez_slowest(base, 1, 1.0))
        assert slowest < 1.0


def test_100_silent_tls_clients_leave_livez_answering_within_a_second(
    dockerd: Any, tmp_path: Path
) -> None:
    authority = CertificateAuthority.create(tmp_path / "ca")
    cert, key = authority.issue(tmp_path)
    tls = ("--http-api-tls-cert", str(cert), "--http-api-tls-key", str(key))
    with serving(dockerd.url, tmp_path, ["nothing-to-watch"], *tls) as (_, plain):
        base = plain.replace("http://", "https://")
        verify = str(authority.cert_path)
        assert _livez_slowest(base, 1, 0, verify=verify) < 5  # up and speaking TLS
        with contextlib.ExitStack() as stack:
            for _ in range(100):
                stack.enter_context(socket.create_connection(_address(base), timeout=10))
            assert _livez_slowest(base, 4, 0.5, verify=verify) < 1.0


def _post(base: str, path: str, token: str, source: str = "127.0.0.1") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(*_address(base), timeout=10, source_address=(source, 0))
    conn.request("POST", path, body=b"{}", headers={"Authorization": f"Bearer {token}"})
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer


def test_guessed_tokens_and_secrets_get_429_with_retry_after_for_that_client_only(
    command: tuple[subprocess.Popen[str], str],
) -> None:
    _, base = command
    paths = ["/v1/push/registry", "/v1/push", "/v1/push/dockerhub/guessed-secret-0000"]
    codes = [_post(base, paths[n % 3], f"wrong-{n}").status for n in range(150)]
    assert 401 in codes
    assert codes.index(429) <= 10
    refused = _post(base, "/v1/push", TOKEN)  # even the right token waits now
    assert refused.status == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # A client at another address is unaffected.
    assert _post(base, "/v1/push", TOKEN, source="127.0.0.2").status == 400
    assert _post(base, "/v1/push", "wrong", source="127.0.0.2").status == 401


def test_an_oversized_chunked_push_is_413_and_no_log_line_holds_the_secret(
    command: tuple[subprocess.Popen[str], str],
) -> None:
    process, base = command
    url = f"{base}/v1/push/dockerhub/{SECRET}"
    answer = requests.post(url, data=(b"x" * 8192 for _ in range(9)), timeout=10)
    assert answer.status_code == 413
    assert requests.post(url, data=b"{", timeout=10).status_code == 400
    assert requests.post(url + "x", data=b"{}", timeout=10).status_code == 401
    logs = _logs(process)
    assert "Refused a dockerhub push" in logs  # the log was captured
    assert SECRET not in logs
    assert "Traceback" not in logs
