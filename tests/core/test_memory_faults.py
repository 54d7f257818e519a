"""MemoryEngine.fail: keyed as test authors think, refused when it cannot fire, never lost."""

from __future__ import annotations

import pytest

from watchtower import UpdateParams, update
from watchtower.errors import ConfigurationError, EngineError
from watchtower.report import Outcome
from watchtower.testing import (
    CONTAINER_STEPS,
    IMAGE_STEPS,
    STEPS,
    Fault,
    MemoryEngine,
    MemoryRegistry,
)

WEB = "example.org/web:1"


def stale(engine: MemoryEngine, registry: MemoryRegistry, name: str = "web") -> str:
    """``name`` runs an image its registry has since replaced; its old image id."""
    registry.publish(WEB)
    old = engine.run(name, WEB)
    registry.publish(WEB)
    return old.image_id


class TestKeys:
    """Every step is named the way the calls carry it."""

    def test_the_steps_are_the_listing_the_container_steps_and_the_image_steps(self) -> None:
        assert {"list", *CONTAINER_STEPS, *IMAGE_STEPS} == set(STEPS)
        assert not set(CONTAINER_STEPS) & set(IMAGE_STEPS)

    def test_a_pull_fails_for_its_image(self, engine, registry) -> None:
        stale(engine, registry)
        engine.fail("pull", image="example.org/web:1")
        entry = update(engine, registry).get("web")
        assert entry.outcome is not Outcome.UPDATED and "simulated pull failure" in entry.reason
        assert engine.pending_faults == ()

    def test_an_image_is_named_as_docker_reads_it(self, engine, registry) -> None:
        registry.publish("docker.io/library/web:latest")
        engine.run("web", "web")
        registry.publish("web")
        engine.fail("pull", image="web")  # docker.io/library/web:latest
        update(engine, registry)
        assert engine.pending_faults == ()

    def test_the_old_container_renamed_aside_is_removed_under_its_own_name(
        self, engine, registry
    ) -> None:
        stale(engine, registry)
        engine.fail("remove", "web")
        entry = update(engine, registry).get("web")
        assert entry.outcome is Outcome.UPDATED
        assert "the old container is left as web-watchtower-old-" in entry.reason
        assert engine.pending_faults == ()

    def test_the_old_container_is_stopped_under_its_own_name(self, engine, registry) -> None:
        stale(engine, registry)
        engine.fail("stop", "web")
        entry = update(engine, registry).get("web")
        assert entry.outcome is Outcome.FAILED and entry.rolled_back
        assert engine.pending_faults == ()

    def test_a_name_held_for_a_while_singles_out_the_calls_under_it(self, engine, registry) -> None:
        stale(engine, registry)
        aside = "web-watchtower-old-" + engine.container("web").short_id
        engine.fail("remove", aside)  # not the replacement's removal: it is named web
        engine.fail("start", "web")  # the replacement does not start: it is removed
        entry = update(engine, registry).get("web")
        assert entry.outcome is Outcome.FAILED and entry.rolled_back
        assert [(f.step, f.container) for f in engine.pending_faults] == [("remove", aside)]

    def test_an_image_is_removed_under_every_reference_it_had(self, engine, registry) -> None:
        old_image = stale(engine, registry)
        engine.fail("remove_image", image=WEB)  # the tag has moved to the new image by then
        report = update(engine, registry, UpdateParams(cleanup=True))
        assert report.get("web").outcome is Outcome.UPDATED
        assert old_image in engine.images() and report.removed_images == ()
        assert engine.pending_faults == ()

    def test_an_image_may_be_named_by_its_id(self, engine, registry) -> None:
        registry.publish(WEB)
        image = engine.add_image(WEB)
        engine.fail("inspect_image", image=image.id)
        with pytest.raises(EngineError):
            engine.inspect_image(WEB)  # the reference names that id
        assert engine.pending_faults == ()

    def test_a_fault_for_one_container_goes_before_one_for_any(self, engine, registry) -> None:
        registry.publish(WEB)
        engine.run("web", WEB)
        engine.fail("get", error=EngineError("any"))
        engine.fail("get", "web", error=EngineError("web's"))
        with pytest.raises(EngineError, match="web's"):
            engine.get_container("web")
        with pytest.raises(EngineError, match="any"):
            engine.get_container("web")


class TestRefused:
    """A fault that no call could ever match is a ConfigurationError at once, in one sentence."""

    @pytest.mark.parametrize(
        ("step", "container", "image", "words"),
        [
            ("pull", "api", None, "pull acts on an image, never on a container"),
            ("remove_image", "api", None, "remove_image acts on an image"),
            ("inspect_image", "api", None, "inspect_image acts on an image"),
            ("remove", None, WEB, "remove acts on a container, never on an image"),
            ("start", None, WEB, "start acts on a container"),
            ("list", "api", None, "A listing is about no container or image"),
            ("list", None, WEB, "A listing is about no container or image"),
            ("pul", None, None, "'pul' is not a step of the memory engine"),
            ("stop", WEB, None, "'example.org/web:1' is not a container name"),
            ("pull", None, "Not A Reference", "is neither an image reference nor an image id"),
        ],
    )
    def test_a_key_that_can_never_match(self, engine, step, container, image, words) -> None:
        with pytest.raises(ConfigurationError) as raised:
            engine.fail(step, container, image=image)
        message = str(raised.value)
        assert words in message
        assert message.endswith(".") and message.count(". ") == 0 and "\n" not in message
        assert engine.pending_faults == ()

    @pytest.mark.parametrize("times", [0, -1, True])
    def test_a_count_that_is_not_one(self, engine, times) -> None:
        with pytest.raises(ConfigurationError, match="is not a count of calls"):
            engine.fail("start", "web", times=times)


class TestPending:
    """What has not fired stays in view, and a test can insist that nothing did."""

    def test_a_fault_that_did_not_fire_is_pending(self, engine, registry) -> None:
        stale(engine, registry)
        engine.fail("start", "db")
        engine.fail("pull", image="example.org/db:1", times=2)
        update(engine, registry)
        error = engine.pending_faults[0].error
        assert engine.pending_faults == (
            Fault("start", "db", None, error),
            Fault("pull", None, "example.org/db:1", error),
            Fault("pull", None, "example.org/db:1", error),
        )

    def test_a_fault_that_fired_is_no_longer_pending(self, engine, registry) -> None:
        stale(engine, registry)
        engine.fail("start", "web", times=3)
        assert len(engine.pending_faults) == 3
        entry = update(engine, registry).get("web")
        # The replacement's start, then the rollback's start of the old web, aside.
        assert "the old container could not be started again" in entry.reason
        assert [f.step for f in engine.pending_faults] == ["start"]
        engine.clear_failures()
        assert engine.pending_faults == ()

    def test_a_test_author_asserts_that_every_fault_fired(self, engine, registry) -> None:
        """The pattern for a test that means its faults to happen."""
        stale(engine, registry)
        engine.fail("create", "web")
        report = update(engine, registry)
        assert report.get("web").rolled_back
        assert engine.pending_faults == (), "a fault set up for this test never happened"
