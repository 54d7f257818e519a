"""Which containers are in scope of a run.

The filters and their order follow Watchtower's: names, disabled names,
monitored and skipped image names, enable and disable label pairs, the enable
label, and the scope. A name or image pattern is an exact string, or a
regular expression that must match the whole of it: RE2 syntax, Go's and so
Watchtower's, matched in time linear in the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from attrs import frozen

from ._patterns import Pattern, UnsupportedPatternError, compile_pattern
from ._text import quoted
from .errors import ConfigurationError
from .model import Container
from .params import UpdateParams
from .settings import ContainerSettings

__all__ = ["Selector", "parse_label_pairs", "select"]

NO_SCOPE = "none"


@frozen
class _Patterns:
    exact: frozenset[str]
    regexes: tuple[Pattern, ...]

    @classmethod
    def compile(cls, patterns: Iterable[str], *, trim_slash: bool, option: str) -> _Patterns:
        exact: set[str] = set()
        regexes: list[Pattern] = []
        for pattern in patterns:
            if trim_slash:
                pattern = pattern.removeprefix("/")
            if re.escape(pattern) == pattern:
                exact.add(pattern)
                continue
            try:
                regexes.append(compile_pattern(pattern))
            except UnsupportedPatternError as error:
                # A plain name instead would silently stop matching what it matched before.
                raise ConfigurationError(
                    f"The {option} pattern {quoted(pattern)} {error}."
                ) from None
            except ValueError:
                # Watchtower treats a pattern that is not a valid expression as a plain name.
                exact.add(pattern)
        return cls(frozenset(exact), tuple(regexes))

    def __bool__(self) -> bool:
        return bool(self.exact or self.regexes)

    def match(self, value: str) -> bool:
        return value in self.exact or any(r.fullmatch(value) for r in self.regexes)


def parse_label_pairs(pairs: Iterable[str], option: str) -> dict[str, str]:
    """Parse ``key=value`` (or ``key=``, matching any value) pairs of a label filter.

    Raises:
        ConfigurationError: A pair has no ``=`` or an empty key.
    """
    result: dict[str, str] = {}
    for pair in pairs:
        pair = pair.strip()
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigurationError(f"{option} takes key=value pairs, and {pair!r} has no '='.")
        if not key.strip():
            raise ConfigurationError(f"{option} has a pair with an empty key: {pair!r}.")
        result[key.strip()] = value.strip()
    return result


@frozen
class Selector:
    """The compiled selection rules of a set of parameters.

    Build it once with :meth:`from_params`, then call it per container.
    """

    names: _Patterns
    disable_names: _Patterns
    monitor_images: _Patterns
    skip_images: _Patterns
    enable_labels: dict[str, str]
    disable_labels: dict[str, str]
    label_enable: bool
    scope: str

    @classmethod
    def from_params(cls, params: UpdateParams) -> Selector:
        """Compile the selection parameters.

        Raises:
            ConfigurationError: A label pair is malformed, or a pattern uses
                what linear-time matching does not support.
        """
        return cls(
            names=_Patterns.compile(
                params.names, trim_slash=True, option="names (the container names)"
            ),
            disable_names=_Patterns.compile(
                params.disable_names, trim_slash=True, option="disable_names (--disable-containers)"
            ),
            monitor_images=_Patterns.compile(
                params.monitor_image_names,
                trim_slash=False,
                option="monitor_image_names (--monitor-image-names)",
            ),
            skip_images=_Patterns.compile(
                params.skip_image_names,
                trim_slash=False,
                option="skip_image_names (--skip-image-names)",
            ),
            enable_labels=parse_label_pairs(
                params.enable_labels, "enable_labels (--enable-containers-by-label)"
            ),
            disable_labels=parse_label_pairs(
                params.disable_labels, "disable_labels (--disable-containers-by-label)"
            ),
            label_enable=params.label_enable,
            scope=params.scope or NO_SCOPE,
        )

    def __call__(self, container: Container, settings: ContainerSettings) -> bool:
        """True when ``container``, with its ``settings``, is in scope."""
        if self.names and not self.names.match(container.name):
            return False
        if self.disable_names and self.disable_names.match(container.name):
            return False
        image = _image_names(container)
        if self.monitor_images and not any(self.monitor_images.match(n) for n in image):
            return False
        if self.skip_images and any(self.skip_images.match(n) for n in image):
            return False
        if self.enable_labels and not _has_any(container, self.enable_labels):
            return False
        if self.disable_labels and _has_any(container, self.disable_labels):
            return False
        enabled = settings.enabled
        if enabled is False or (enabled is None and self.label_enable):
            return False
        return (settings.scope or NO_SCOPE) == self.scope


def _image_names(container: Container) -> tuple[str, ...]:
    # Users write image patterns as the docker CLI shows images, with or
    # without the tag; accept either, and the fully qualified name.
    ref = container.image
    return (ref.familiar_name, ref.familiar, ref.name, str(ref))


def _has_any(container: Container, pairs: dict[str, str]) -> bool:
    for key, expected in pairs.items():
        value = container.labels.get(key)
        if value is not None and (not expected or value == expected):
            return True
    return False


def select(
    containers: Sequence[Container],
    params: UpdateParams,
    settings: Mapping[str, ContainerSettings] | None = None,
) -> tuple[list[Container], list[Container]]:
    """Split containers into those in scope and those left out, keeping their order.

    ``settings`` holds each container's settings by name, when they were
    already read; otherwise they are read here.

    Raises:
        ConfigurationError: A selection parameter is malformed.
    """
    rule = Selector.from_params(params)
    chosen: list[Container] = []
    left_out: list[Container] = []
    for container in containers:
        own = settings[container.name] if settings else ContainerSettings.read(container, params)
        (chosen if rule(container, own) else left_out).append(container)
    return chosen, left_out
