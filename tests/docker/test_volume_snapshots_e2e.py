"""Protected volumes on the real engine: a failed replacement leaves them byte-identical."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.docker.test_probes_e2e import answer, free_port, wait_for
from tests.support.e2e_fixtures import Images, Names
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.docker import DockerClient
from watchtower.docker.volumes import SNAPSHOT_OF, snapshots_of
from watchtower.history import MemoryHistory
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = [pytest.mark.e2e]

# name -> (content, mode, uid, gid); set into the volume with those owners and times.
FILES = {
    "state": (b"v1 rows\n", 0o640, 1000, 1000),
    "keep": (b"\x00\xffbinary", 0o600, 0, 0),
    "sub/deep": (b"nested", 0o755, 33, 33),
}


@pytest.fixture
def volume(docker_api: Any, e2e_names: Names) -> Iterator[str]:
    """A named volume of this test; it and its snapshots are removed afterwards."""
    name = e2e_names("data")
    docker_api.create_volume(name)
    try:
        yield name
    finally:
        e2e_names.cleanup()
        for snapshot in snapshots_of(docker_api, name):
            docker_api.remove_volume(snapshot, force=True)
        docker_api.remove_volume(name, force=True)


def filled(files: dict[str, tuple[bytes, int, int, int]]) -> bytes:
    """A tar of ``files`` under ``data/``, with their modes, owners and a fixed time."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for path, (content, mode, uid, gid) in files.items():
            if "/" in path:
                folder = tarfile.TarInfo("data/" + path.rsplit("/", 1)[0])
                folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o750, 1_600_000_000
                archive.addfile(folder)
            info = tarfile.TarInfo("data/" + path)
            info.size, info.mode, info.uid, info.gid = len(content), mode, uid, gid
            info.mtime = 1_600_000_000
            archive.addfile(info, io.BytesIO(content))
    return out.getvalue()


def fingerprint(api: Any, image: str, volume: str) -> tuple[str, list[str]]:
    """A sha256 of every file of ``volume`` (bytes, mode, owner, time), and their names."""
    helper = api.create_container(
        image,
        entrypoint=["/never"],
        host_config=api.create_host_config(binds={volume: {"bind": "/data", "mode": "ro"}}),
    )["Id"]
    try:
        stream, _ = api.get_archive(helper, "/data")
        data = b"".join(stream)
    finally:
        api.remove_container(helper, force=True)
    digest, names = hashlib.sha256(), []
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            names.append(member.name)
            head = (member.name, member.type, member.mode, member.uid, member.gid, member.mtime)
            digest.update(repr(head).encode())
            if member.isfile():
                digest.update(archive.extractfile(member).read())  # type: ignore[union-attr]
    return digest.hexdigest(), names


def protected(
    api: Any, images: Images, names: Names, volume: str, variant: str = "serve1"
) -> tuple[str, str, str]:
    """A running ``variant`` (a server) with ``volume`` at /data, filled, protected and probed."""
    repo, name, port = names("kept"), names("kept"), free_port()
    image = images.publish(repo, variant)
    created = api.create_container(
        image,
        name=name,
        environment={"PORT": str(port)},
        labels={
            L.SNAPSHOT_VOLUMES: volume,
            L.PROBE_HTTP: f"http://:{port}/health",
            L.PROBE_TIMEOUT: "3s",
        },
        host_config=api.create_host_config(
            network_mode="host", binds={volume: {"bind": "/data", "mode": "rw"}}
        ),
    )
    api.start(created["Id"])
    assert api.put_archive(created["Id"], "/", filled(FILES))
    wait_for(lambda: answer(port) == 200)
    return repo, name, image


def go(client: DockerClient, names: Names, keep: int = 3) -> Any:
    params = UpdateParams(
        names=(names.pattern,), stop_timeout=timedelta(seconds=2), snapshot_keep=keep
    )
    return update(client, HttpRegistry(), params)


def test_a_replacement_that_rewrites_its_volume_and_fails_leaves_it_byte_identical(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names, volume: str
) -> None:
    repo, name, image = protected(docker_api, e2e_images, e2e_names, volume)
    docker_api.stop(name, timeout=2)  # quiescent, to fingerprint it
    before, files = fingerprint(docker_api, image, volume)
    docker_api.start(name)
    assert "data/keep" in files and "data/sub/deep" in files
    e2e_images.publish(repo, "scribblelost2")
    entry = go(docker_client, e2e_names).get(name)
    assert entry.outcome is Outcome.FAILED and entry.rolled_back, entry.reason
    assert "answered 404" in entry.reason
    docker_api.stop(name, timeout=2)
    assert fingerprint(docker_api, image, volume) == (before, files)
    assert len(snapshots_of(docker_api, volume)) == 1


def test_a_replacement_that_passes_keeps_its_data_and_old_snapshots_are_pruned(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names, volume: str
) -> None:
    repo, name, image = protected(docker_api, e2e_images, e2e_names, volume)
    taken: list[list[str]] = []
    for variant in ("scribble2", "serve2", "scribble2"):  # each push differs from the last
        e2e_images.publish(repo, variant)
        entry = go(docker_client, e2e_names, keep=2).get(name)
        assert entry.outcome is Outcome.UPDATED, entry.reason
        taken.append(snapshots_of(docker_api, volume))
    assert [len(t) for t in taken] == [1, 2, 2]
    assert len(taken[-1]) == 2 and taken[-1][0] == taken[1][1]  # the oldest went
    for snapshot in taken[-1]:
        labels = docker_api.inspect_volume(snapshot)["Labels"]
        assert labels[SNAPSHOT_OF] == volume
    docker_api.stop(name, timeout=2)
    _, files = fingerprint(docker_api, image, volume)
    assert "data/added" in files and "data/keep" not in files


def test_an_image_without_a_shell_is_restored_byte_identical_too(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names, volume: str
) -> None:
    repo, name, image = protected(docker_api, e2e_images, e2e_names, volume, "noshell1")
    docker_api.stop(name, timeout=2)
    before = fingerprint(docker_api, image, volume)
    docker_api.start(name)
    e2e_images.publish(repo, "noshelllost2")
    entry = go(docker_client, e2e_names).get(name)
    assert entry.outcome is Outcome.FAILED and entry.rolled_back, entry.reason
    assert "answered 404" in entry.reason and "restored" not in entry.reason
    docker_api.stop(name, timeout=2)
    assert fingerprint(docker_api, image, volume) == before


def test_the_history_lists_the_snapshots_the_engine_still_holds(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names, volume: str
) -> None:
    repo, name, _ = protected(docker_api, e2e_images, e2e_names, volume)
    history = MemoryHistory()
    params = UpdateParams(
        names=(e2e_names.pattern,), stop_timeout=timedelta(seconds=2), snapshot_keep=3
    )
    taken = []
    for variant in ("scribble2", "serve2", "scribble2"):  # each push differs from the last
        e2e_images.publish(repo, variant)
        entry = update(docker_client, HttpRegistry(), params, history=history).get(name)
        assert entry.outcome is Outcome.UPDATED, entry.reason
        (snapshot,) = entry.snapshots
        assert snapshot.container_id == entry.id and snapshot.held is not None
        taken.append(snapshot.name)
        if len(taken) == 1:
            docker_api.remove_volume(taken[0])  # by hand: within the keep, yet gone
    listed = history.snapshots(name=name)
    assert [s.name for s in listed] == taken[:0:-1]  # newest first, the first not available
    (gone,) = [s for s in history.snapshots(name=name, removed=True) if not s.available]
    assert gone.name == taken[0] and gone.volume == volume
    assert snapshots_of(docker_api, volume) == taken[1:]
