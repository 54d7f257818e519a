"""Watchtower's container labels: their names, the two read without a fallback, and the
labels a replacement carries.

What a label's value means for a run (and what happens when it cannot be
read) is decided in one place, :class:`watchtower.settings.ContainerSettings`.
Which labels a replacement gets is decided in one place too,
:func:`replacement_labels`, for every backend that copies them.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import Container

PREFIX = "com.centurylinklabs.watchtower"
WATCHTOWER = PREFIX
ENABLE = f"{PREFIX}.enable"
MONITOR_ONLY = f"{PREFIX}.monitor-only"
POLICY = f"{PREFIX}.policy"
NO_PULL = f"{PREFIX}.no-pull"
SCOPE = f"{PREFIX}.scope"
DEPENDS_ON = f"{PREFIX}.depends-on"
STOP_SIGNAL = f"{PREFIX}.stop-signal"
STOP_TIMEOUT = f"{PREFIX}.stop-timeout"
COOLDOWN_DELAY = f"{PREFIX}.cooldown-delay"
PRE_CHECK = f"{PREFIX}.lifecycle.pre-check"
POST_CHECK = f"{PREFIX}.lifecycle.post-check"
PRE_UPDATE = f"{PREFIX}.lifecycle.pre-update"
POST_UPDATE = f"{PREFIX}.lifecycle.post-update"
PRE_UPDATE_TIMEOUT = f"{PREFIX}.lifecycle.pre-update-timeout"
POST_UPDATE_TIMEOUT = f"{PREFIX}.lifecycle.post-update-timeout"
LIFECYCLE_UID = f"{PREFIX}.lifecycle.uid"
LIFECYCLE_GID = f"{PREFIX}.lifecycle.gid"
TAG_RULE = f"{PREFIX}.tag-rule"
TAG_INCLUDE = f"{PREFIX}.tag-include"
TAG_EXCLUDE = f"{PREFIX}.tag-exclude"
TAG_PRERELEASE = f"{PREFIX}.tag-prerelease"
RELEASE_NOTES = f"{PREFIX}.release-notes"
WINDOW = f"{PREFIX}.window"
SCHEDULE = f"{PREFIX}.schedule"
PROBE_HTTP = f"{PREFIX}.probe.http"
PROBE_HTTP_STATUS = f"{PREFIX}.probe.http-status"
PROBE_TCP = f"{PREFIX}.probe.tcp"
PROBE_CMD = f"{PREFIX}.probe.cmd"
PROBE_TIMEOUT = f"{PREFIX}.probe.timeout"
SOAK = f"{PREFIX}.soak"
FAIL_PATTERN = f"{PREFIX}.fail-pattern"
STACK = f"{PREFIX}.stack"
GROUP = f"{PREFIX}.group"
SNAPSHOT_VOLUMES = f"{PREFIX}.snapshot-volumes"
CANARY = f"{PREFIX}.canary"
ORIGINAL_IMAGE = "com.centurylinklabs.zodiac.original-image"
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
COMPOSE_DEPENDS_ON = "com.docker.compose.depends_on"
COMPOSE_CONFIG_HASH = "com.docker.compose.config-hash"
#: Compose v2 writes the local id of the service's image here when it creates a
#: container, and recreates the container on ``up`` when the two differ.
COMPOSE_IMAGE = "com.docker.compose.image"
SWARM_SERVICE_ID = "com.docker.swarm.service.id"


def read_list(container: Container, label: str) -> tuple[str, ...]:
    """The comma-separated names in ``label``, trimmed of spaces and a leading slash."""
    raw = container.labels.get(label, "")
    return tuple(part.strip().lstrip("/") for part in raw.split(",") if part.strip())


def is_watchtower(container: Container) -> bool:
    """True for a container labelled as a watchtower instance."""
    return container.labels.get(WATCHTOWER, "").strip().lower() == "true"


def replacement_labels(
    labels: Mapping[str, str], old_image_id: str, new_image_id: str
) -> dict[str, str]:
    """The labels of a replacement on ``new_image_id`` of a container labelled ``labels``.

    The old container's labels, with one change: compose v2's
    ``com.docker.compose.image`` is moved to the new image when it named the
    old one, so a later ``docker compose up -d`` finds the container on the
    image it expects and leaves it alone. The label is kept as it was when
    it holds anything else (another engine's digest, a user's value).
    """
    carried = dict(labels)
    if old_image_id and new_image_id and carried.get(COMPOSE_IMAGE) == old_image_id:
        carried[COMPOSE_IMAGE] = new_image_id
    return carried
