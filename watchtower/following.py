"""Tag rules applied: the newer tag each container's rule moves it to.

Each repository's tags are listed once per scan; a rule that cannot be
applied leaves the container following its own tag's digest, with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from .budget import Budget
from .errors import RegistryError
from .model import Container, ImageRef
from .protocols import Registry, TagLister
from .settings import ContainerSettings
from .staleness import fan_out, scan_deadline
from .tags import TagList

__all__ = ["follow_tags"]


def follow_tags(
    chosen: Sequence[Container],
    settings: Mapping[str, ContainerSettings],
    registry: Registry,
    concurrency: int,
    scan: Budget,
    monotonic: Callable[[], float],
) -> tuple[dict[str, ImageRef], dict[str, str]]:
    """The newer tags the containers' tag rules choose, and why a rule could not apply.

    Lists each repository's tags once (at most ``concurrency`` at once), only
    for containers with a rule on a pulled image, neither pinned to a digest
    nor no-pull. A container whose tags cannot be listed follows its own
    tag's digest.

    Returns:
        The new reference by container name, for those that move; and a
        sentence by container name for those whose rule was not applied.
    """
    # Pinned, locally built and no-pull containers are compared with what
    # they have, as before: a new tag would need a pull.
    ruled = [
        c
        for c in chosen
        if settings[c.name].tag_rule is not None
        and c.image.tag
        and not c.image.is_pinned
        and c.repo_digests
        and not settings[c.name].no_pull
    ]
    if not ruled:
        return {}, {}
    if not isinstance(registry, TagLister):
        why = "its registry cannot list tags, so it follows its tag's digest"
        return {}, {c.name: why for c in ruled}

    def listing(repository: ImageRef) -> Sequence[str]:
        try:
            return registry.tags(repository)
        except RegistryError:
            raise
        except Exception as error:
            raise RegistryError(f"Listing the tags of {repository} failed: {error}") from error

    answers = fan_out(
        (_repository(c.image) for c in ruled),
        listing,
        concurrency,
        RegistryError,
        until=scan_deadline(scan, lambda repository: f"the tags of {repository.familiar}"),
        monotonic=monotonic,
    )
    # Read here, not in the threads: reading tags is work for the CPU, not a wait.
    reads: dict[str, Any] = {}
    listed = {
        repository: tags if isinstance(tags, RegistryError) else TagList(tags, reads)
        for repository, tags in answers.items()
    }
    targets: dict[str, ImageRef] = {}
    notes: dict[str, str] = {}
    for container in ruled:
        tags, current = listed[_repository(container.image)], container.image.tag or ""
        rule = settings[container.name].tag_rule
        assert rule is not None  # ruled containers have one
        try:
            if isinstance(tags, RegistryError):
                raise tags
            newer = rule.choose(current, tags)
            if newer and newer != current and newer in tags:
                # A registry may list a tag Docker's grammar refuses: with_tag stops on it.
                targets[container.name] = container.image.with_tag(newer)
        except Exception as error:  # a user's rule is a backend: it may fail
            notes[container.name] = f"its tag rule was not applied, it follows {current}: {error}"
    return targets, notes


def _repository(ref: ImageRef) -> ImageRef:
    """``ref``'s repository: the reference with no tag and no digest."""
    return attrs.evolve(ref, tag=None, digest=None)
