"""Tiny images pushed straight over the registry HTTP API, no engine needed.

``push_image`` builds a one-layer image (a gzipped tar with one file), uploads
its layer and config blobs and PUTs its manifest; the manifest digest it
returns is what ``docker push`` would print. ``push_index`` pushes a
multi-platform index over such images.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import requests

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

AuthFor = Callable[[str], Mapping[str, str]]
"""Given a repository, the headers that let us push to it."""


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer(content: bytes) -> tuple[bytes, bytes]:
    """(gzipped tar, uncompressed tar) holding /version with ``content``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("version")
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), tar_bytes


@attrs.frozen
class Pushed:
    """What a push made: the manifest digest (what ``docker push`` prints) and the config's."""

    digest: str
    config_digest: str
    created: str


class Pusher:
    """Pushes to one registry at ``base`` (``http://127.0.0.1:5000``)."""

    def __init__(
        self, base: str, *, auth: AuthFor | None = None, verify: bool | str = True
    ) -> None:
        self.base = base.rstrip("/")
        self.auth = auth
        self.session = requests.Session()
        self.session.verify = verify
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify

    def _headers(self, repo: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = dict(self.auth(repo)) if self.auth else {}
        headers.update(extra or {})
        return headers

    def blob(self, repo: str, data: bytes) -> str:
        digest = _digest(data)
        start = self.session.post(
            f"{self.base}/v2/{repo}/blobs/uploads/", headers=self._headers(repo), timeout=30
        )
        start.raise_for_status()
        location = requests.compat.urljoin(self.base + "/", start.headers["Location"])
        sep = "&" if "?" in location else "?"
        put = self.session.put(
            f"{location}{sep}digest={digest}",
            data=data,
            timeout=30,
            headers=self._headers(repo, {"Content-Type": "application/octet-stream"}),
        )
        put.raise_for_status()
        return digest

    def manifest(self, repo: str, tag: str, body: bytes, media_type: str) -> str:
        response = self.session.put(
            f"{self.base}/v2/{repo}/manifests/{tag}",
            data=body,
            timeout=30,
            headers=self._headers(repo, {"Content-Type": media_type}),
        )
        response.raise_for_status()
        digest = _digest(body)
        assert response.headers.get("Docker-Content-Digest") == digest
        return digest

    def image(
        self,
        repo: str,
        tag: str,
        content: bytes,
        *,
        created: str = "2024-05-06T07:08:09Z",
        architecture: str = "amd64",
        os: str = "linux",
    ) -> Pushed:
        """Push a one-layer image; ``content`` makes it unique."""
        gz, tar_bytes = _layer(content)
        layer_digest = self.blob(repo, gz)
        config: dict[str, Any] = {
            "architecture": architecture,
            "os": os,
            "created": created,
            "config": {"Cmd": ["/version"]},
            "rootfs": {"type": "layers", "diff_ids": [_digest(tar_bytes)]},
            "history": [{"created": created, "created_by": "watchtower tests"}],
        }
        config_bytes = json.dumps(config, sort_keys=True).encode()
        config_digest = self.blob(repo, config_bytes)
        manifest = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config_bytes),
                "digest": config_digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(gz),
                    "digest": layer_digest,
                }
            ],
        }
        body = json.dumps(manifest, indent=3).encode()
        return Pushed(self.manifest(repo, tag, body, DOCKER_MANIFEST), config_digest, created)

    def index(self, repo: str, tag: str, platforms: Mapping[str, tuple[bytes, str]]) -> str:
        """Push one image per ``os/arch`` (content, created) and an OCI index over them."""
        entries = []
        for plat, (content, created) in platforms.items():
            os_name, arch = plat.split("/")[:2]
            pushed = self.image(
                repo,
                f"{tag}-{os_name}-{arch}",
                content,
                created=created,
                architecture=arch,
                os=os_name,
            )
            size = len(
                self.session.get(
                    f"{self.base}/v2/{repo}/manifests/{pushed.digest}",
                    headers=self._headers(repo, {"Accept": DOCKER_MANIFEST}),
                    timeout=30,
                ).content
            )
            entries.append(
                {
                    "mediaType": DOCKER_MANIFEST,
                    "digest": pushed.digest,
                    "size": size,
                    "platform": {"os": os_name, "architecture": arch},
                }
            )
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        body = json.dumps(index).encode()
        return self.manifest(repo, tag, body, OCI_INDEX)

    def close(self) -> None:
        self.session.close()
