"""The exceptions of watchtower and its backends.

Each one carries a message that is one sentence naming the culprit, meant
to be shown to a person as it is.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = [
    "ApprovalError",
    "ConfigurationError",
    "ContainerError",
    "EngineError",
    "EngineTimeoutError",
    "HistoryError",
    "ImageInUseError",
    "InvalidReferenceError",
    "MissingExtraError",
    "NotificationError",
    "PushEventError",
    "QuarantineError",
    "RateLimitedError",
    "RegistryError",
    "RegistryTimeoutError",
    "RollbackError",
    "WatchtowerError",
]


class WatchtowerError(Exception):
    """The base of every error watchtower raises on purpose."""


class ConfigurationError(WatchtowerError, ValueError):
    """Bad input from the user: a parameter, a label, a flag, a file."""


class InvalidReferenceError(ConfigurationError):
    """An image reference that Docker's rules reject."""


class PushEventError(WatchtowerError, ValueError):
    """A push event (a registry's notification, a webhook) that cannot be read."""


class RegistryError(WatchtowerError):
    """The registry could not answer, or answered something unusable."""


class RateLimitedError(RegistryError):
    """The registry said it is rate limiting us.

    Attributes:
        retry_after: How long the registry asked us to wait, when it said.
    """

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RegistryTimeoutError(RegistryError):
    """A registry did not answer a lookup within its deadline: the image's, or the scan's.

    The image is skipped rather than pulled: a pull from a registry that
    slow would hold the run.
    """


class EngineError(WatchtowerError):
    """The container engine failed or is unreachable."""


class ContainerError(EngineError):
    """An operation on one container failed."""


class EngineTimeoutError(ContainerError):
    """The engine did not answer a call in time: it may have stopped answering altogether.

    A run that meets one starts nothing new on that engine (see
    :mod:`watchtower.lanes`). It is a :class:`ContainerError`, so code that
    handles a failed container operation handles it too.

    Attributes:
        engine: The engine's address, when the backend knows it.
    """

    def __init__(self, message: str, engine: str | None = None) -> None:
        super().__init__(message)
        self.engine = engine


class ImageInUseError(EngineError):
    """An image could not be removed because a container still uses it."""


class HistoryError(WatchtowerError):
    """A history database could not be opened, read or written (the message names its file)."""


class RollbackError(WatchtowerError):
    """A container cannot be rolled back: nothing ran before it, or that image is gone."""


class ApprovalError(WatchtowerError, LookupError):
    """An update cannot be approved or rejected: none is pending, or it is for another digest."""


class QuarantineError(WatchtowerError, LookupError):
    """A digest cannot be released: none quarantined matches it, or the prefix names several."""


class NotificationError(WatchtowerError):
    """A notifier could not deliver a report to ``failed`` of its services.

    A notifier that fans a report out to several services raises it, so
    that each service that failed is counted on the report.
    """

    def __init__(self, message: str, *, failed: int = 1) -> None:
        super().__init__(message)
        self.failed = failed


class MissingExtraError(WatchtowerError, ImportError):
    """A part of watchtower needs an optional dependency that is not installed.

    The message names the extra to install, for example
    ``pip install 'watchtower-updater[cli]'``.
    """

    @classmethod
    def for_extra(cls, what: str, extra: str, error: ImportError) -> MissingExtraError:
        """The error for ``what`` (a module or the command), which failed with ``error``."""
        missing = f" (no module named {error.name!r})" if error.name else ""
        return cls(
            f"{what} needs the {extra!r} extra, which is not installed{missing}: "
            f"pip install 'watchtower-updater[{extra}]'",
            name=error.name,
        )
