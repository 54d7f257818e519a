"""The registry quota over real HTTP: a registry that says its limit, a runner with one book.

The registry is a server on 127.0.0.1 that answers manifest requests with
Docker Hub's ``ratelimit-limit``/``ratelimit-remaining`` headers, asked
through :class:`~watchtower.registry.HttpRegistry` and its default
transport; the containers run on the in-memory engine, whose pulls the
server counts as Docker Hub counts a pull.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler

import pytest

from tests.support.httpserver import LoopbackServer
from watchtower.cli.config import load
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.errors import ConfigurationError
from watchtower.model import Image, ImageRef
from watchtower.quota import QuotaBook
from watchtower.registry import HttpRegistry
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

LOG = logging.getLogger("test.quota")
START = datetime(2026, 3, 1, tzinfo=timezone.utc)


class QuotaRegistry:
    """Serves the digests of a :class:`MemoryRegistry` over HTTP, counting pulls against a quota.

    ``remaining`` is what the headers say is left; each pull (the engine's
    manifest GET, here a call of :meth:`pulled`) and each manifest GET it
    is sent lowers it, as Docker Hub does; a HEAD does not.
    """

    def __init__(self, served: MemoryRegistry, limit: int, remaining: int) -> None:
        self.served = served
        self.limit = limit
        self.remaining = remaining
        self.methods: list[str] = []
        self.refused = 0
        self._lock = threading.Lock()
        self.server = LoopbackServer(self._handle)

    def _headers(self) -> dict[str, str]:
        return {
            "ratelimit-limit": f"{self.limit};w=21600",
            "ratelimit-remaining": f"{self.remaining};w=21600",
        }

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        headers = {"Content-Length": "0"}
        status = 200
        with self._lock:
            if "/manifests/" in path:
                self.methods.append(request.command)
                repository, tag = path.removeprefix("/v2/").split("/manifests/")
                headers["Docker-Content-Digest"] = self.served.served(
                    f"{self.server.address}/{repository}:{tag}"
                )[0]
                headers.update(self._headers())
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()

    def pulled(self) -> bool:
        """Count one pull: False (a 429) once nothing is left."""
        with self._lock:
            if self.remaining <= 0:
                self.refused += 1
                return False
            self.remaining -= 1
            return True


class CountedEngine(MemoryEngine):
    """An in-memory engine whose pulls spend the quota of the HTTP registry."""

    def __init__(self, served: MemoryRegistry, quota: QuotaRegistry) -> None:
        super().__init__(served)
        self.quota = quota

    def pull_image(self, ref: ImageRef) -> Image:
        from watchtower.errors import EngineError

        if not self.quota.pulled():
            raise EngineError(f"Could not pull {ref.familiar}: 429 Too Many Requests")
        return super().pull_image(ref)


@pytest.fixture
def quota_registry() -> Iterator[QuotaRegistry]:
    registry = QuotaRegistry(MemoryRegistry(), limit=100, remaining=12)
    try:
        yield registry
    finally:
        registry.server.stop()


def test_a_run_over_20_images_stops_at_its_share_and_the_next_checks_the_rest(
    quota_registry: QuotaRegistry,
) -> None:
    served = quota_registry.served
    engine = CountedEngine(served, quota_registry)
    host = quota_registry.server.address
    for index in range(20):
        ref = served.publish(f"{host}/app{index}:latest")
        engine.run(f"app{index}", ref)
        served.publish(ref)  # each one stale
    clock = FixedClock(START)
    book = QuotaBook(clock)
    registry = HttpRegistry(quota=book, clock=clock)  # real HTTP, its default transport
    params = load(["--registry-quota-share", "50%"], {}).params
    metrics = Metrics(clock=clock)
    runner = Runner(engine, registry, params, metrics=metrics, logger=LOG, clock=clock)
    assert runner.quota is book

    first = runner.run()

    assert first is not None
    assert len(first.updated) == 6  # half of the 12 left
    assert len(first.deferred) == 14 and first.failed == ()
    assert first.deferred[0].reason == (
        f"registry quota: deferred to the next run; 12 of 100 requests left at {host}, "
        "this run may use 6"
    )
    assert quota_registry.remaining == 6 and quota_registry.refused == 0
    assert set(quota_registry.methods) == {"HEAD"}
    assert metrics.value("watchtower_containers_deferred_total") == 14
    assert metrics.quota == {host: (6, 100)}
    text = metrics.exposition()[0].decode()
    assert f'watchtower_registry_quota_remaining{{registry="{host}"}} 6.0' in text
    assert f'watchtower_registry_quota_limit{{registry="{host}"}} 100.0' in text

    second = runner.run()  # the headers still say 6: half of it
    assert second is not None
    assert (len(second.updated), len(second.deferred)) == (3, 11)

    quota_registry.remaining = 100  # a new window
    third = runner.run()
    assert third is not None
    assert len(third.updated) == 11 and third.deferred == ()
    updated = {e.name for report in (first, second, third) for e in report.updated}
    assert updated == {f"app{index}" for index in range(20)}
    assert metrics.value("watchtower_containers_deferred_total") == 25
    assert quota_registry.refused == 0  # never a 429


@pytest.mark.parametrize(
    ("given", "share"),
    [("0.5", 0.5), ("50%", 0.5), ("1", 1.0), ("100%", 1.0), (" 0.05 ", 0.05), ("", None)],
)
def test_the_share_flag_and_its_variable(given: str, share: float | None) -> None:
    assert load(["--registry-quota-share", given], {}).params.registry_quota_share == share
    environ = {"WATCHTOWER_REGISTRY_QUOTA_SHARE": given}
    assert load([], environ).params.registry_quota_share == share


@pytest.mark.parametrize("given", ["0", "-0.5", "1.5", "150%", "half", "nan", "0%"])
def test_a_share_out_of_range_is_one_sentence(given: str) -> None:
    with pytest.raises(ConfigurationError, match=r"--registry-quota-share must be a fraction"):
        load(["--registry-quota-share", given], {})
