"""A minimal :class:`~watchtower.protocols.Registry` for an anonymous loopback registry.

One manifest ``HEAD`` per call; enough for the end-to-end tests, which
do not test the registry client itself.
"""

from __future__ import annotations

from datetime import datetime

import requests

from watchtower.errors import RegistryError
from watchtower.model import ImageRef

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


class LoopbackRegistry:
    """Asks ``http://<domain>/v2/...`` for manifest digests, without auth."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.requests = 0

    def digest(self, ref: ImageRef) -> str:
        """The digest the registry serves for ``ref``'s tag."""
        if not ref.domain.startswith("127."):
            raise RegistryError(f"{ref.domain} is not a loopback registry.")
        self.requests += 1
        url = f"http://{ref.domain}/v2/{ref.path}/manifests/{ref.tag or ref.digest}"
        response = self.session.head(url, headers={"Accept": ACCEPT}, timeout=10)
        if response.status_code != 200:
            raise RegistryError(f"{url} answered {response.status_code}.")
        return str(response.headers["Docker-Content-Digest"])

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        """Not known here."""
        return None
