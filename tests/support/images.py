"""Tiny test images: ``FROM scratch``, a static busybox, and a version file.

``build_image(api, tag, version=...)`` builds one through docker-py from an
in-memory context; two versions differ only in ``/version`` (and whatever
``dockerfile`` lines a test adds), so builds after the first reuse the
busybox layer. ``push(api, tag)`` pushes it to a loopback registry.

The default command is a shell that exits on SIGTERM at once, so tests stop
containers in milliseconds; ``STUBBORN`` ignores SIGTERM, as some real
servers do.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from typing import Any

BUSYBOX = "/bin/busybox"

#: Runs until SIGTERM, then exits 0 at once.
POLITE = "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"
#: Ignores SIGTERM: only a kill stops it.
STUBBORN = "trap '' TERM; while true; do sleep 1 & wait $!; done"


def busybox_available() -> bool:
    """True when a static busybox is installed (Debian package busybox-static)."""
    return shutil.which(BUSYBOX) is not None or _is_file(BUSYBOX)


def _is_file(path: str) -> bool:
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


def _applets() -> list[str]:
    output = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    return [name for name in output.stdout.split() if name and name != "busybox"]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def context(version: str, dockerfile: str = "", command: str = POLITE) -> bytes:
    """The build context (a tar) of a test image."""
    lines = [
        "FROM scratch",
        "COPY rootfs/ /",
        "ENV PATH=/bin",
        f"CMD {json.dumps(['sh', '-c', command])}",
        "COPY version /version",
        dockerfile,
    ]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add_bytes(tar, "Dockerfile", "\n".join(lines).encode() + b"\n")
        tar.add(BUSYBOX, arcname="rootfs/bin/busybox")
        for applet in _applets():
            info = tarfile.TarInfo(f"rootfs/bin/{applet}")
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            tar.addfile(info)
        for directory in ("rootfs/tmp", "rootfs/data"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777
            tar.addfile(info)
        _add_bytes(tar, "version", version.encode() + b"\n")
    return buffer.getvalue()


def build_image(
    api: Any, tag: str, *, version: str = "1", dockerfile: str = "", command: str = POLITE
) -> str:
    """Build a test image tagged ``tag`` and return its id."""
    stream = api.build(
        fileobj=io.BytesIO(context(version, dockerfile, command)),
        custom_context=True,
        tag=tag,
        rm=True,
        forcerm=True,
        network_mode="none",
        decode=True,
    )
    for message in stream:
        if "error" in message:
            raise RuntimeError(f"building {tag} failed: {message['error']}")
    return str(api.inspect_image(tag)["Id"])


def push(api: Any, tag: str, auth_config: dict[str, str] | None = None) -> str:
    """Push ``tag`` (``127.0.0.1:PORT/repo:tag``) and return the manifest digest it got."""
    repository, _, name_tag = tag.rpartition(":")
    digest = ""
    for message in api.push(
        repository, tag=name_tag, stream=True, decode=True, auth_config=auth_config
    ):
        if "error" in message:
            raise RuntimeError(f"pushing {tag} failed: {message['error']}")
        aux = message.get("aux") or {}
        if aux.get("Digest"):
            digest = str(aux["Digest"])
    return digest


def build_and_push(
    api: Any, tag: str, *, version: str = "1", dockerfile: str = "", command: str = POLITE
) -> tuple[str, str]:
    """Build ``tag`` and push it: ``(image id, manifest digest)``."""
    image_id = build_image(api, tag, version=version, dockerfile=dockerfile, command=command)
    return image_id, push(api, tag)
