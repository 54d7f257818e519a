"""The push sources' settings: which registries' push events the API accepts, and the poll."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal, get_args

from attrs import field, frozen

from ..errors import ConfigurationError
from .values import FlagValues

__all__ = ["PUSH_SOURCES", "PushSettings", "Source", "push_settings"]

Source = Literal["registry", "dockerhub", "generic"]
"""A push source, by its ``--push-sources`` name."""

#: The push sources, by their ``--push-sources`` names.
PUSH_SOURCES: tuple[Source, ...] = get_args(Source)


@frozen
class PushSettings:
    """Which push sources the API accepts, and how often the schedule still polls.

    Attributes:
        sources: The sources accepted (names of :data:`PUSH_SOURCES`).
        secret: The secret in Docker Hub's webhook URL.
        poll_interval: With push on, the schedule's interval (zero: the
            schedule as ``--interval`` or ``--schedule`` say).
    """

    sources: frozenset[Source] = frozenset()
    secret: str = field(default="", repr=False)
    poll_interval: timedelta = timedelta(0)

    @property
    def enabled(self) -> bool:
        """True when any push source is accepted."""
        return bool(self.sources)


def push_settings(values: FlagValues, token: str) -> PushSettings:
    """The push settings from the flags; ``token`` is the API's.

    Raises:
        ConfigurationError: A source is unknown, or lacks its token or secret.
    """
    names = {n.lower() for part in values["push_sources"] for n in re.split(r"[,\s]+", part) if n}
    sources: set[Source] = set()
    for name in sorted(names):
        if name not in PUSH_SOURCES:
            raise ConfigurationError(
                f"--push-sources {name!r} is not a push source; choose from "
                f"{', '.join(PUSH_SOURCES)}."
            )
        sources.add(next(s for s in PUSH_SOURCES if s == name))
    if sources - {"dockerhub"} and not token:
        raise ConfigurationError(
            "--push-sources registry and generic need the API's token: set --http-api-token "
            "(or WATCHTOWER_HTTP_API_TOKEN)."
        )
    secret = values["push_secret"]
    if "dockerhub" in sources and len(secret) < 16:
        raise ConfigurationError(
            "--push-sources dockerhub needs --push-secret (or WATCHTOWER_PUSH_SECRET) of at "
            "least 16 characters: it is the only thing that guards the webhook's URL."
        )
    return PushSettings(frozenset(sources), secret, values["push_poll_interval"])
