"""Tag rules through plan, execute and update, on the in-memory backends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.errors import RateLimitedError, RegistryError
from watchtower.events import Event, UpdateAvailable
from watchtower.memo import DigestMemo
from watchtower.model import ImageRef
from watchtower.plans import Action, Status
from watchtower.report import Outcome
from watchtower.testing import MemoryEngine, MemoryRegistry

APP = "example.org/app"
VERSIONS = ("1.0.0", "1.0.1", "1.1.0", "2.0.0", "1.0.2-rc1", "1.0.1-alpine", "1.0.0-alpine")


@pytest.fixture
def published(registry: MemoryRegistry) -> MemoryRegistry:
    for tag in VERSIONS:
        registry.publish(f"{APP}:{tag}")
    return registry


def rule(bound: str, **more: str) -> dict[str, str]:
    return {L.TAG_RULE: bound, **more}


@pytest.mark.parametrize(
    ("current", "labels", "lands_on"),
    [
        ("1.0.0", rule("patch"), "1.0.1"),
        ("1.0.0", rule("minor"), "1.1.0"),
        ("1.0.0", rule("major"), "2.0.0"),
        ("1.0.0", rule("patch", **{L.TAG_PRERELEASE: "true"}), "1.0.2-rc1"),
        ("1.0.0-alpine", rule("major"), "1.0.1-alpine"),
        ("1.0.0", rule("major", **{L.TAG_EXCLUDE: r"^2\."}), "1.1.0"),
    ],
)
def test_a_container_lands_on_the_tag_its_rule_picks(
    engine: MemoryEngine,
    published: MemoryRegistry,
    current: str,
    labels: dict[str, str],
    lands_on: str,
) -> None:
    """The replacement runs the new tag's image, under the new tag, with its labels kept."""
    engine.run("app", f"{APP}:{current}", labels=labels)
    report = update(engine, published)
    entry = report.get("app")
    assert entry is not None and entry.outcome is Outcome.UPDATED, entry
    assert entry.image == f"{APP}:{current}"
    assert entry.new_image == f"{APP}:{lands_on}"
    after = engine.container("app")
    assert after.image.tag == lands_on
    assert after.image_id == published.served(f"{APP}:{lands_on}")[1] == entry.new_image_id
    assert after.labels == labels


def test_the_plan_shows_the_old_and_new_tag(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """describe() and to_dict() name both tags; the reason says what a compose file needs."""
    engine.run("app", f"{APP}:1.0.0", labels=rule("patch"))
    the_plan = plan(engine, published)
    entry = the_plan.entry("app")
    assert entry.action is Action.UPDATE
    assert entry.new_reference == ImageRef("example.org", "app", "1.0.1")
    assert f"{APP}:1.0.0 -> {APP}:1.0.1" in the_plan.describe()
    assert the_plan.to_dict()["entries"][0]["new_image"] == f"{APP}:1.0.1"
    assert "compose file" in entry.reason and f"change it to {APP}:1.0.1" in entry.reason


def test_monitor_only_and_a_check_report_the_new_tag_without_acting(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """Monitor-only is stale with the new tag and no action; a check pulls nothing."""
    engine.run("app", f"{APP}:1.0.0", labels=rule("minor", **{L.MONITOR_ONLY: "true"}))
    report = update(engine, published)
    entry = report.get("app")
    assert entry is not None and entry.outcome is Outcome.STALE
    assert entry.new_image == f"{APP}:1.1.0"
    assert engine.count("create") == 0

    checked = plan(engine, published, pull=False).entry("app")
    assert checked.status is Status.STALE and checked.action is Action.NONE
    assert checked.new_reference is not None and checked.new_reference.tag == "1.1.0"


def test_one_tag_list_per_repository_per_scan(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """Many containers on one repository cost one listing; containers without a rule none."""
    for n, bound in enumerate(["patch", "minor", "major", "patch"]):
        engine.run(f"app{n}", f"{APP}:1.0.0", labels=rule(bound))
    published.publish("example.org/other:1")
    engine.run("other", "example.org/other:1")
    plan(engine, published)
    assert published.requests["tags", "example.org/app"] == 1
    assert published.requests["tags", "example.org/other"] == 0


def test_without_a_rule_nothing_changes(engine: MemoryEngine, published: MemoryRegistry) -> None:
    """A container with no rule stays on its tag, and no tags are listed."""
    engine.run("app", f"{APP}:1.0.0")
    report = update(engine, published)
    assert [e.outcome for e in report] == [Outcome.FRESH]
    assert report.get("app").new_image is None  # type: ignore[union-attr]
    assert sum(n for (method, _), n in published.requests.items() if method == "tags") == 0


def test_the_newest_tag_already_run_is_fresh(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """On the newest allowed tag the container follows that tag's digest, as before."""
    engine.run("app", f"{APP}:1.0.1", labels=rule("patch"))
    assert plan(engine, published).entry("app").status is Status.FRESH
    published.publish(f"{APP}:1.0.1")
    entry = plan(engine, published).entry("app")
    assert entry.status is Status.STALE and entry.new_reference is None


@pytest.mark.parametrize(
    "error", [RegistryError("the tag list broke"), RateLimitedError("slow down", None)]
)
def test_a_failed_listing_falls_back_to_the_digest(
    engine: MemoryEngine, published: MemoryRegistry, error: RegistryError
) -> None:
    """The container follows its own tag and the reason says why the rule was not applied."""
    engine.run("app", f"{APP}:1.0.0", labels=rule("patch"))
    published.fail(ImageRef("example.org", "app", None), error)
    entry = plan(engine, published).entry("app")
    assert entry.status is Status.FRESH and entry.new_reference is None
    assert "tag rule was not applied" in entry.reason and str(error) in entry.reason


class DigestOnly:
    """A user's registry written before tag rules: digest and created only."""

    def __init__(self, inner: MemoryRegistry) -> None:
        self.inner = inner

    def digest(self, ref: ImageRef) -> str:
        return self.inner.digest(ref)

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        return self.inner.created(ref, digest)


def test_a_registry_without_tag_listing_still_works(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """Its containers follow their digest; the reason says the registry cannot list tags."""
    engine.run("app", f"{APP}:1.0.0", labels=rule("patch"))
    entry = plan(engine, DigestOnly(published)).entry("app")
    assert entry.status is Status.FRESH
    assert "cannot list tags" in entry.reason


class BuildNumbers:
    """A user's rule: the highest ``build-N`` tag."""

    def choose(self, current: str, tags: Sequence[str]) -> str | None:
        numbers = [int(t.removeprefix("build-")) for t in tags if t.startswith("build-")]
        return f"build-{max(numbers)}" if numbers else None


def test_a_users_own_rule_is_followed(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """tag_rules by name takes a rule of the user's own."""
    for n in (7, 9, 8):
        registry.publish(f"{APP}:build-{n}")
    engine.run("app", f"{APP}:build-7")
    params = UpdateParams(tag_rules={"app": BuildNumbers()})
    update(engine, registry, params)
    assert engine.container("app").image.tag == "build-9"


class Broken:
    def choose(self, current: str, tags: Sequence[str]) -> str | None:
        raise ValueError("no idea")


def test_a_failing_rule_is_reported_not_raised(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """A user's rule that raises leaves the container on its tag, with the reason."""
    engine.run("app", f"{APP}:1.0.0")
    entry = plan(engine, published, UpdateParams(tag_rule=Broken())).entry("app")
    assert entry.status is Status.FRESH and "no idea" in entry.reason


def test_a_rule_may_not_invent_a_tag(engine: MemoryEngine, published: MemoryRegistry) -> None:
    """A rule's answer that the registry does not list is not followed."""

    class Inventive:
        def choose(self, current: str, tags: Sequence[str]) -> str | None:
            return "9.9.9"

    engine.run("app", f"{APP}:1.0.0")
    entry = plan(engine, published, UpdateParams(tag_rule=Inventive())).entry("app")
    assert entry.new_reference is None


def test_the_update_available_event_names_the_new_tag(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """Observers (and the log) see which tag the container moves to."""
    engine.run("app", f"{APP}:1.0.0", labels=rule("minor"))
    seen: list[Event] = []
    plan(engine, published, observer=seen.append)
    found = [e for e in seen if isinstance(e, UpdateAvailable)]
    assert [e.new_image for e in found] == [f"{APP}:1.1.0"]


def test_no_pull_and_local_builds_keep_their_tag(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """A new tag would need a pull: no-pull and locally built containers list no tags."""
    engine.run("app", f"{APP}:1.0.0", labels=rule("patch", **{L.NO_PULL: "true"}))
    entry = plan(engine, published).entry("app")
    assert entry.new_reference is None
    assert sum(n for (method, _), n in published.requests.items() if method == "tags") == 0


def test_a_scans_shared_memo_lists_each_repository_once(published: MemoryRegistry) -> None:
    """Engines sharing a DigestMemo share one listing; a registry without tags says so."""
    memo = DigestMemo(published)
    ref = ImageRef("example.org", "app", "1.0.0")
    assert memo.tags(ref) == memo.tags(ref.with_tag("2.0.0")) == VERSIONS
    assert published.requests["tags", "example.org/app"] == 1
    with pytest.raises(RegistryError, match="cannot list tags"):
        DigestMemo(DigestOnly(published)).tags(ref)


class BadTagListed(DigestOnly):
    """A registry whose tag list holds a tag Docker's grammar refuses."""

    def tags(self, ref: ImageRef) -> Sequence[str]:
        return (*self.inner.tags(ref), "-foo")


def test_a_listed_tag_that_is_not_a_tag_is_not_followed(
    engine: MemoryEngine, published: MemoryRegistry
) -> None:
    """The rule's pick does not parse back as a reference: the container stays, with why."""

    class PicksIt:
        def choose(self, current: str, tags: Sequence[str]) -> str | None:
            return "-foo"

    engine.run("app", f"{APP}:1.0.0")
    entry = plan(engine, BadTagListed(published), UpdateParams(tag_rule=PicksIt())).entry("app")
    assert entry.status is Status.FRESH and entry.new_reference is None
    assert "tag rule was not applied" in entry.reason and "'-foo'" in entry.reason
