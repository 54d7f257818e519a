"""TLS trust: checking a CA bundle, and telling an untrusted certificate from other TLS failures."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError


def validate_ca_bundle(path: str | Path) -> Path:
    """Check that ``path`` is a readable PEM file with at least one CA certificate.

    Returns:
        The path, absolute.

    Raises:
        ConfigurationError: It is missing, unreadable, or holds no certificate.
    """
    bundle = Path(path).expanduser().absolute()
    if not bundle.is_file():
        raise ConfigurationError(
            f"The registry CA bundle {bundle} does not exist or is not a file."
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=str(bundle))
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise ConfigurationError(
            f"The registry CA bundle {bundle} is not a readable PEM certificate file ({reason})."
        ) from error
    if not context.get_ca_certs():
        raise ConfigurationError(f"The registry CA bundle {bundle} holds no CA certificate.")
    return bundle


def is_verification_error(error: BaseException) -> bool:
    """True when a TLS handshake failed because the certificate is not trusted.

    HTTP libraries wrap the :class:`ssl.SSLCertVerificationError` in their own
    errors, as causes or arguments; this looks through all of them.
    """
    seen: set[int] = set()
    stack: list[Any] = [error]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(item) or "certificate verify failed" in str(item):
            return True
        stack.extend([item.__cause__, item.__context__, *item.args])
        stack.append(getattr(item, "reason", None))
    return False


TLS_VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLS1.0": ssl.TLSVersion.TLSv1,
    "TLS1.1": ssl.TLSVersion.TLSv1_1,
    "TLS1.2": ssl.TLSVersion.TLSv1_2,
    "TLS1.3": ssl.TLSVersion.TLSv1_3,
}
"""The minimum TLS versions a registry connection may be given, by Watchtower's names."""


def tls_version(name: str) -> ssl.TLSVersion:
    """The :class:`ssl.TLSVersion` called ``name`` (``TLS1.2``, in any case).

    Raises:
        ConfigurationError: It is not one of :data:`TLS_VERSIONS`.
    """
    key = name.strip().upper()
    if key not in TLS_VERSIONS:
        raise ConfigurationError(
            f"The minimum TLS version must be one of {', '.join(TLS_VERSIONS)}, got {name!r}."
        )
    return TLS_VERSIONS[key]


def registry_contexts(
    ca_bundle: Path | None, min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """The TLS contexts of registry connections: one that verifies, one that does not.

    The verifying one trusts the system's CAs and, added to them, those of
    ``ca_bundle``, so a public registry keeps working next to a private one.
    Two contexts, not one switched per connection: a context is shared by
    every connection of its pool.
    """
    verified = ssl.create_default_context()
    if ca_bundle is not None:
        verified.load_verify_locations(cafile=str(ca_bundle))
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    for context in (verified, unverified):
        context.minimum_version = min_version
    return verified, unverified
