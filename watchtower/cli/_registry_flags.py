"""The registry client's flags: the TLS it trusts, and the platform the cooldown reads."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConfigurationError
from ..registry import Platform
from ..registry._tls import TLS_VERSIONS, validate_ca_bundle
from ._checks import choice
from .values import FlagValues

__all__ = ["cooldown_platform", "registry_tls"]


def cooldown_platform(environ: Mapping[str, str]) -> str:
    """``os/architecture[/variant]`` from the fork's variables; the host's for the parts not set."""
    given = [
        environ.get(f"WATCHTOWER_COOLDOWN_PLATFORM_{key}", "").strip()
        for key in ("OS", "ARCH", "VARIANT")
    ]
    if not any(given):
        return ""
    host = Platform.host()
    # The host's variant belongs to the host's architecture only.
    variant = given[2] or (host.variant if not given[1] else None)
    text = f"{given[0] or host.os}/{given[1] or host.architecture}" + (
        f"/{variant}" if variant else ""
    )
    try:
        return str(Platform.parse(text))
    except ConfigurationError as error:
        raise ConfigurationError(f"WATCHTOWER_COOLDOWN_PLATFORM_*: {error}") from error


def _ca_bundle(values: FlagValues, warnings: list[str]) -> str:
    """The registry CA bundle; an unusable one stops the start if validation is asked, or warns."""
    option = "--registry-ca"
    bundle = values["registry_ca"].strip()
    if not bundle and values["registry_ca_bundle"].strip():
        option, bundle = "--registry-ca-bundle", values["registry_ca_bundle"].strip()
    if not bundle:
        return ""
    try:
        return str(validate_ca_bundle(bundle))
    except ConfigurationError as error:
        if values["registry_ca_validate"]:
            raise ConfigurationError(f"{option}: {error}") from error
        # As the fork: without validation a bad bundle is reported, and the system's CAs stay.
        warnings.append(f"{option} is not used: {error}")
        return ""


def registry_tls(values: FlagValues, warnings: list[str]) -> tuple[tuple[str, ...], bool, str, str]:
    """The insecure registries, whether every one is, the oldest TLS version, the CA bundle."""
    # --insecure-registry alone (or =true) is containrrr/watchtower's boolean: every registry.
    items = [item for item in values["insecure_registry"] if item.lower() != "false"]
    every = any(item.lower() == "true" for item in items)
    insecure = tuple(item for item in items if item.lower() != "true")
    if values["registry_tls_skip"] or every:
        option = "--registry-tls-skip" if values["registry_tls_skip"] else "--insecure-registry"
        warnings.append(
            f"{option}: no registry's TLS certificate is verified and any may be "
            "spoken to over plain HTTP; prefer --registry-ca."
        )
    tls_min_version = choice(
        "--registry-tls-min-version",
        values["registry_tls_min_version"],
        tuple(TLS_VERSIONS),
        lower=False,
    )
    skip = values["registry_tls_skip"] or every
    return insecure, skip, tls_min_version, _ca_bundle(values, warnings)
