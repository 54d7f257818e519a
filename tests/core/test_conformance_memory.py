"""The conformance suite of watchtower.testing, run against the in-memory backends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping

import pytest

from watchtower.errors import ContainerError
from watchtower.model import ImageRef
from watchtower.testing import MemoryEngine, MemoryRegistry, conformance
from watchtower.testing.conformance import ConformanceError, EngineSubject, RegistrySubject

WEB = "example.org/web:1"


def engine_subject(engine: MemoryEngine) -> EngineSubject:
    """The memory engine, running containers of a published image."""
    image = engine.registry.publish(WEB)

    def run(name: str, labels: Mapping[str, str]) -> str:
        return engine.run(name, image, labels=labels).id

    return EngineSubject(engine, run=run, image=image)


@pytest.mark.parametrize("check", conformance.ENGINE_CHECKS, ids=conformance.name)
def test_the_memory_engine_keeps_the_contract(
    check: Callable[[EngineSubject], None], engine: MemoryEngine
) -> None:
    subject = engine_subject(engine)
    check(subject)
    assert engine.names() == set(), "a check left a container behind"


@pytest.mark.parametrize("check", conformance.REGISTRY_CHECKS, ids=conformance.name)
def test_the_memory_registry_keeps_the_contract(
    check: Callable[[RegistrySubject], None], registry: MemoryRegistry
) -> None:
    check(RegistrySubject(registry, publish=registry.publish))


def test_every_check_at_once(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    conformance.verify_engine(engine_subject(engine))
    conformance.verify_registry(RegistrySubject(registry, publish=registry.publish))


class ForgetfulEngine(MemoryEngine):
    """A backend with two faults: a replacement loses its labels, a missing name is a KeyError."""

    def create_replacement(self, old, image):  # type: ignore[no-untyped-def]
        new_id = super().create_replacement(old, image)
        self._containers[new_id].labels.clear()
        return new_id

    def get_container(self, container_id: str):  # type: ignore[no-untyped-def]
        try:
            return super().get_container(container_id)
        except ContainerError:
            raise KeyError(container_id) from None


def test_a_backend_that_breaks_the_contract_is_told_what_it_broke() -> None:
    engine = ForgetfulEngine(MemoryRegistry())
    with pytest.raises(ConformanceError) as raised:
        conformance.verify_engine(engine_subject(engine))
    message = str(raised.value)
    assert "failed 4 of 13 checks" in message
    assert "a_replacement_keeps_the_configuration (The replacement lost its" in message
    assert "a_missing_container_is_a_container_error (KeyError: " in message


class StuckRegistry(MemoryRegistry):
    """A registry client that answers the first digest it saw for a tag, for ever."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[ImageRef, str] = {}

    def digest(self, ref: ImageRef) -> str:
        return self.seen.setdefault(ref, super().digest(ref))


def test_a_registry_that_caches_digests_for_ever_fails() -> None:
    registry = StuckRegistry()
    check = conformance.REGISTRY_CHECKS[1]
    with pytest.raises(ConformanceError, match=r"is still sha256:\w+ after a new version"):
        check(RegistrySubject(registry, publish=registry.publish))


def test_a_subject_hands_out_fresh_names_and_references(engine: MemoryEngine) -> None:
    subject = engine_subject(engine)
    assert subject.names("a") != subject.names("a")
    registry = RegistrySubject(MemoryRegistry(), publish=print)
    assert registry.references("a") != registry.references("a")


def test_the_suite_needs_no_test_runner() -> None:
    code = (
        "import sys, watchtower.testing.conformance\n"
        "print(sorted(m for m in ('pytest', '_pytest', 'hypothesis') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class CheckerThatPassesEverything(MemoryEngine):
    """A replacement checker that never looks: a stopped replacement passes."""

    def check_replacement(self, container_id, checks):  # type: ignore[no-untyped-def]
        return ""


def test_a_checker_that_passes_a_stopped_container_is_told() -> None:
    engine = CheckerThatPassesEverything(MemoryRegistry())
    with pytest.raises(ConformanceError, match="passed a stopped container"):
        conformance.check_a_replacement_checker_tells_a_pass_from_a_stop(engine_subject(engine))
