"""The labels a replacement carries (:func:`watchtower.labels.replacement_labels`), as a table."""

from __future__ import annotations

import pytest

from watchtower import labels as L
from watchtower.labels import replacement_labels

OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64
HASH = {L.COMPOSE_PROJECT: "shop", L.COMPOSE_CONFIG_HASH: "abc"}

# (old container's labels, old image id, new image id, the replacement's labels)
TABLE = [
    # Made by compose v2: the label follows the image, nothing else changes.
    ({**HASH, L.COMPOSE_IMAGE: OLD}, OLD, NEW, {**HASH, L.COMPOSE_IMAGE: NEW}),
    # Not made by compose: no such label appears.
    ({"own": "x"}, OLD, NEW, {"own": "x"}),
    ({}, OLD, NEW, {}),
    # Made by compose v1 (no image label): its config hash is carried unchanged.
    (HASH, OLD, NEW, HASH),
    # The label names something other than the old image: kept as it was.
    ({L.COMPOSE_IMAGE: "sha256:" + "f" * 64}, OLD, NEW, {L.COMPOSE_IMAGE: "sha256:" + "f" * 64}),
    ({L.COMPOSE_IMAGE: "example.org/app:1"}, OLD, NEW, {L.COMPOSE_IMAGE: "example.org/app:1"}),
    ({L.COMPOSE_IMAGE: ""}, OLD, NEW, {L.COMPOSE_IMAGE: ""}),
    # The same image again: nothing to move.
    ({L.COMPOSE_IMAGE: OLD}, OLD, OLD, {L.COMPOSE_IMAGE: OLD}),
    # An id unknown on either side: nothing is guessed.
    ({L.COMPOSE_IMAGE: OLD}, "", NEW, {L.COMPOSE_IMAGE: OLD}),
    ({L.COMPOSE_IMAGE: OLD}, OLD, "", {L.COMPOSE_IMAGE: OLD}),
    ({L.COMPOSE_IMAGE: ""}, "", NEW, {L.COMPOSE_IMAGE: ""}),
]


@pytest.mark.parametrize(("labels", "old", "new", "expected"), TABLE)
def test_replacement_labels(
    labels: dict[str, str], old: str, new: str, expected: dict[str, str]
) -> None:
    """The old labels, with compose v2's image label moved only when it named the old image."""
    assert replacement_labels(labels, old, new) == expected


def test_the_old_labels_are_not_modified() -> None:
    """The caller's mapping is left as it was."""
    labels = {L.COMPOSE_IMAGE: OLD}
    replacement_labels(labels, OLD, NEW)
    assert labels == {L.COMPOSE_IMAGE: OLD}
