"""Snapshots of named volumes on a Docker engine, through its archive API.

A snapshot is a named volume of its own, ``watchtower-snapshot-<volume>-<time>``,
labelled with the volume it copies, when, and the id of the container it
was taken for (the crash repair finds an interrupted update's snapshot by
it). A volume's labels cannot change once it exists, so a copy that
finished says so with a file of its own, ``complete``, written last beside
the copy: a snapshot without it (its run was killed while copying) is
never restored. It is filled through helper
containers that are created and never started, from the protected
container's own image: the user already has that image, and the archive
API (``GET``/``PUT /containers/{id}/archive``) needs no tool inside it, so
a distroless image is snapshotted as any other. The engine streams the
volume's tar from one helper into the other: nothing passes through
watchtower's disk, and tar keeps each file's bytes, mode, owner and times.

Restoring needs the volume emptied first, which the archive API cannot do:
a helper from the same image runs ``sh -c 'rm -rf ...'``. An image without
a shell is restored by overlaying the snapshot when the volume holds no
name the snapshot lacks; otherwise the restore fails and says so.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import IO, Any, cast

from docker.types import Mount

from ..errors import EngineError
from ..labels import PREFIX
from ..model import Container, VolumeSnapshot

__all__ = [
    "SNAPSHOT_AT",
    "SNAPSHOT_FOR",
    "SNAPSHOT_OF",
    "restore_volume",
    "snapshot_volume",
    "snapshots_for",
    "snapshots_of",
]

SNAPSHOT_OF = f"{PREFIX}.snapshot-of"
"""The label of a snapshot volume that names the volume it copies."""
SNAPSHOT_AT = f"{PREFIX}.snapshot-at"
"""The label of a snapshot volume that says when it was taken (UTC, sortable)."""
SNAPSHOT_FOR = f"{PREFIX}.snapshot-for"
"""The label of a snapshot volume that holds the id of the container it was taken for."""

_DATA = "/watchtower-volume"  # where a helper mounts the protected volume
_STORE = "/watchtower-snapshot"  # where a helper mounts a snapshot volume
_HELPER = "com.centurylinklabs.watchtower.snapshot-helper"
# Everything in a directory, dot files too, but not . and ..
_EMPTY = f"rm -rf {_DATA}/* {_DATA}/.[!.]* {_DATA}/..?*"
_COMPLETE = "complete"  # beside the copy in a snapshot volume, once it finished
_STAMP = "%Y%m%dT%H%M%S%fZ"


def snapshot_volume(api: Any, container: Container, volume: str, keep: int, now: datetime) -> str:
    """Copy ``volume`` into a new snapshot volume; remove all but the ``keep`` newest.

    Returns:
        The snapshot volume's name.
    """
    stamp = now.astimezone(timezone.utc).strftime(_STAMP)
    name = f"watchtower-snapshot-{volume}-{stamp}"
    labels = {SNAPSHOT_OF: volume, SNAPSHOT_AT: stamp, SNAPSHOT_FOR: container.id}
    api.create_volume(name, labels=labels)
    try:
        with (
            _helper(api, container.image_id, volume, _DATA, read_only=True) as source,
            _helper(api, container.image_id, name, _STORE) as store,
        ):
            stream, _ = api.get_archive(source, _DATA)
            if not api.put_archive(store, _STORE, stream):
                raise EngineError(f"The engine did not write snapshot {name}.")
            if not api.put_archive(store, _STORE, _marker()):
                raise EngineError(f"The engine did not finish snapshot {name}.")
    except BaseException:
        with contextlib.suppress(Exception):
            api.remove_volume(name, force=True)
        raise
    for old in snapshots_of(api, volume)[:-keep]:
        with contextlib.suppress(Exception):  # in use, or gone: the next run tries again
            api.remove_volume(old)
    return name


def snapshots_of(api: Any, volume: str) -> list[str]:
    """The names of ``volume``'s snapshot volumes, oldest first."""
    found = api.volumes(filters={"label": f"{SNAPSHOT_OF}={volume}"}).get("Volumes") or ()
    mine = [v for v in found if (v.get("Labels") or {}).get(SNAPSHOT_OF) == volume]
    mine.sort(key=lambda v: ((v.get("Labels") or {}).get(SNAPSHOT_AT, ""), v["Name"]))
    return [str(v["Name"]) for v in mine]


def snapshots_for(api: Any, container: Container) -> list[VolumeSnapshot]:
    """The snapshots taken for ``container`` since it last started, oldest first.

    Found by the label naming its id; those made before its last start are
    left out: they are of an earlier update that was rolled back, and the
    container wrote its volumes since. Both times are the engine's own (a
    volume's creation, to the second, against the container's start), so a
    skewed clock here cannot mistake one for the other; a snapshot made in
    the very second the container started is left out too, which errs on the
    side of restoring nothing. Each one is said complete or not; the check
    needs a helper from the container's image, and an image the engine lost
    leaves it said incomplete, since nothing proves it whole.
    """
    state = ((container.raw or {}) if isinstance(container.raw, Mapping) else {}).get("State")
    started = _engine_time(str((state or {}).get("StartedAt") or ""))
    found = api.volumes(filters={"label": f"{SNAPSHOT_FOR}={container.id}"}).get("Volumes") or ()
    taken = []
    for volume in found:
        labels = volume.get("Labels") or {}
        created = _engine_time(str(volume.get("CreatedAt") or ""))
        if labels.get(SNAPSHOT_FOR) != container.id or not labels.get(SNAPSHOT_OF):
            continue
        if created is None or (started is not None and created <= started):
            continue
        name = str(volume["Name"])
        taken.append(
            VolumeSnapshot(
                volume=str(labels[SNAPSHOT_OF]),
                name=name,
                at=created,
                container_id=container.id,
                complete=_complete(api, container.image_id, name),
            )
        )
    taken.sort(key=lambda s: (s.at, s.name))
    return taken


def _engine_time(text: str) -> datetime | None:
    """An engine's RFC 3339 time (nanoseconds cut to microseconds); None when unreadable."""
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None or value.year <= 1:  # 0001-01-01: never started
        return None
    return value


def _complete(api: Any, image: str, snapshot: str) -> bool:
    """Whether the snapshot volume holds the file its copy writes last."""
    try:
        with _helper(api, image, snapshot, _STORE, read_only=True) as store:
            stream, _ = api.get_archive(store, f"{_STORE}/{_COMPLETE}")
            for _chunk in stream:  # read to its end: the connection is reused
                pass
    except Exception:  # no such file (or no helper): not proven whole
        return False
    return True


def _marker() -> bytes:
    """A tar holding the empty file that says a snapshot's copy finished."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        archive.addfile(tarfile.TarInfo(_COMPLETE), io.BytesIO(b""))
    return out.getvalue()


def restore_volume(api: Any, container: Container, volume: str, snapshot: str) -> None:
    """Make ``volume`` hold exactly what ``snapshot`` holds."""
    image = container.image_id
    with (
        _helper(api, image, snapshot, _STORE, read_only=True) as store,
        _helper(api, image, volume, _DATA) as target,
    ):
        saved = _STORE + _DATA  # the snapshot keeps the volume as this directory
        if not _emptied(api, image, volume):
            extra = _names(api, target, _DATA) - _names(api, store, saved)
            if extra:
                raise EngineError(
                    f"Volume {volume} holds files its snapshot does not "
                    f"({', '.join(sorted(extra)[:3])}), and image {image[:19]} has no "
                    "shell to remove them."
                )
        stream, _ = api.get_archive(store, saved)
        if not api.put_archive(target, "/", stream):
            raise EngineError(f"The engine did not write volume {volume} back.")


def _emptied(api: Any, image: str, volume: str) -> bool:
    """Empty the volume with the image's own shell; False when it has none."""
    helper = api.create_container(
        image,
        entrypoint=["sh", "-c", _EMPTY],
        command=[],
        user="0",
        network_disabled=True,
        labels={_HELPER: "true"},
        host_config=api.create_host_config(mounts=[_mount(volume, _DATA, read_only=False)]),
    )["Id"]
    try:
        try:
            api.start(helper)
        except Exception:  # no sh in the image: the engine refuses the start
            return False
        code = api.wait(helper, timeout=120).get("StatusCode")
        if code != 0:
            raise EngineError(f"Emptying volume {volume} before its restore exited with {code}.")
        return True
    finally:
        with contextlib.suppress(Exception):
            api.remove_container(helper, force=True)


def _names(api: Any, container: str, path: str) -> set[str]:
    """The names of the entries of the archive of ``path``, below its top directory."""
    stream, _ = api.get_archive(container, path)
    names: set[str] = set()
    with tarfile.open(fileobj=cast(IO[bytes], _Reader(stream)), mode="r|") as archive:
        for member in archive:
            rest = member.name.partition("/")[2]
            if rest:
                names.add(rest)
    return names


class _Reader:
    """A file over a stream of chunks, for :func:`tarfile.open` in stream mode."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _mount(volume: str, target: str, *, read_only: bool) -> Mount:
    return Mount(target, volume, type="volume", read_only=read_only, no_copy=True)


@contextlib.contextmanager
def _helper(
    api: Any, image: str, volume: str, target: str, *, read_only: bool = False
) -> Iterator[str]:
    """A container created, never started, from ``image`` with ``volume`` at ``target``."""
    created: Mapping[str, Any] = api.create_container(
        image,
        # Never run: an entrypoint of its own spares images that have none.
        entrypoint=["/watchtower-snapshot-helper"],
        command=[],
        network_disabled=True,
        labels={_HELPER: "true"},
        host_config=api.create_host_config(mounts=[_mount(volume, target, read_only=read_only)]),
    )
    try:
        yield str(created["Id"])
    finally:
        with contextlib.suppress(Exception):
            api.remove_container(created["Id"], force=True)
