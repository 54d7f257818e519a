"""Which image of a multi-platform index is ours."""

from __future__ import annotations

import platform as _platform
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ..errors import ConfigurationError

_ARCHITECTURES = {
    "x86_64": ("amd64", None),
    "amd64": ("amd64", None),
    "aarch64": ("arm64", None),
    "arm64": ("arm64", None),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i386": ("386", None),
    "i686": ("386", None),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
}


@frozen
class Platform:
    """An OCI platform: ``linux/amd64``, ``linux/arm/v7``.

    Attributes:
        os: The operating system (``linux``).
        architecture: The architecture, in Go's names (``amd64``, ``arm64``).
        variant: The CPU variant (``v7``), if it matters.
    """

    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def host(cls) -> Platform:
        """This machine's platform, in the names images use."""
        machine = _platform.machine().lower()
        architecture, variant = _ARCHITECTURES.get(machine, (machine, None))
        return cls("linux", architecture, variant)

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``os/architecture[/variant]``.

        Raises:
            ConfigurationError: ``text`` does not have two or three parts.
        """
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ConfigurationError(f"The platform {text!r} is not os/architecture[/variant].")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def choose(self, manifests: Any) -> str | None:
        """The digest of this platform's manifest among an index's ``manifests``.

        An entry whose variant matches beats one without a variant; ``None``
        when no entry has this OS and architecture.
        """
        if not isinstance(manifests, list):
            return None
        best: tuple[int, str] | None = None
        for entry in manifests:
            if not isinstance(entry, Mapping):
                continue
            plat = entry.get("platform")
            digest = entry.get("digest")
            if not isinstance(plat, Mapping) or not isinstance(digest, str):
                continue
            if plat.get("os") != self.os or plat.get("architecture") != self.architecture:
                continue
            variant = plat.get("variant")
            if variant == self.variant:
                score = 2
            elif self.variant is None or variant is None:
                score = 1
            else:
                continue
            if best is None or score > best[0]:
                best = (score, digest)
        return best[1] if best else None
