"""The :class:`~watchtower.protocols.ContainerClient` contract, as checks a backend runs.

Each check sets up what it needs through :attr:`EngineSubject.run`, asks
the client, and removes what it made. What is checked is what the protocol's
docstrings promise and what :func:`watchtower.update` relies on, limited to
what any engine can show: no check needs a health check, a network or a
second image.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import attrs

from ..errors import ContainerError, EngineError, ImageInUseError
from ..model import ContainerState
from ..probes import Checks, Probe, ProbeKind
from ..protocols import ReplacementChecker
from ._conformance import ConformanceError, EngineSubject, Stage, expect

__all__ = [
    "LABEL",
    "check_a_hook_runs_in_the_container",
    "check_a_missing_container_is_a_container_error",
    "check_a_missing_image_is_none",
    "check_a_pull_of_an_absent_tag_is_an_engine_error",
    "check_a_pull_returns_the_local_image",
    "check_a_removed_container_is_gone",
    "check_a_renamed_container_keeps_its_id",
    "check_a_replacement_checker_tells_a_pass_from_a_stop",
    "check_a_replacement_keeps_the_configuration",
    "check_a_started_container_is_listed",
    "check_an_image_in_use_is_not_removed",
    "check_calls_from_several_threads_agree",
    "check_stop_and_start",
]

LABEL = "org.example.watchtower-conformance"
"""The label the checks give the containers they run, to see that it is kept."""


def check_a_started_container_is_listed(subject: EngineSubject) -> None:
    """``list_containers`` shows a running container with its id, name, image and labels."""
    with Stage.of(subject) as stage:
        made = stage.run("listed", {LABEL: "kept"})
        entry = stage.listed(made.id)
        expect(entry is not None, f"list_containers() does not show the running {made.name}.")
        assert entry is not None
        expect(entry.state is ContainerState.RUNNING, f"{made.name} is listed as {entry.state}.")
        expect(entry.name == made.name, f"{made.name} is listed as {entry.name!r}.")
        expect(
            entry.image == subject.image,
            f"{made.name} is listed with the image {entry.image}, not {subject.image}.",
        )
        expect(entry.image_id, f"{made.name} is listed without its image id.")
        expect(entry.labels.get(LABEL) == "kept", f"{made.name} is listed without its labels.")
        by_name = subject.client.get_container(made.name)
        expect(
            by_name.id == made.id,
            f"get_container({made.name!r}) gives {by_name.id}, not the container with that name.",
        )


def check_a_missing_container_is_a_container_error(subject: EngineSubject) -> None:
    """``get_container`` of a name no container has raises :class:`ContainerError`."""
    name = subject.names("missing")
    try:
        subject.client.get_container(name)
    except ContainerError:
        return
    raise ConformanceError(f"get_container({name!r}) answered for a container that is not there.")


def check_stop_and_start(subject: EngineSubject) -> None:
    """A stopped container is listed only with ``include_stopped``; a start runs it again.

    A second stop of the stopped container does nothing and raises nothing.
    """
    with Stage.of(subject) as stage:
        made = stage.run("stopped")
        stage.stop(made)
        stopped = subject.client.get_container(made.id)
        expect(not stopped.state.is_running, f"{made.name} is {stopped.state} after its stop.")
        expect(
            stage.listed(made.id) is None,
            f"list_containers() shows the stopped {made.name} without include_stopped.",
        )
        expect(
            stage.listed(made.id, include_stopped=True) is not None,
            f"list_containers(include_stopped=True) does not show the stopped {made.name}.",
        )
        stage.stop(stopped)  # a container that is not running: nothing to do, no error
        subject.client.start_container(made.id)
        started = subject.client.get_container(made.id)
        expect(
            started.state is ContainerState.RUNNING,
            f"{made.name} is {started.state} after its start.",
        )


def check_a_renamed_container_keeps_its_id(subject: EngineSubject) -> None:
    """A rename shows under the same id; its old name is free; a taken name is refused."""
    with Stage.of(subject) as stage:
        made, other = stage.run("renamed"), stage.run("other")
        aside = subject.names("aside")
        subject.client.rename_container(made.id, aside)
        renamed = subject.client.get_container(made.id)
        expect(renamed.name == aside, f"After a rename to {aside!r} it is {renamed.name!r}.")
        try:
            subject.client.get_container(made.name)
        except ContainerError:
            pass
        else:
            raise ConformanceError(f"get_container({made.name!r}) answers after its rename.")
        try:
            subject.client.rename_container(other.id, aside)
        except ContainerError:
            pass
        else:
            raise ConformanceError(f"A rename to the name {aside!r}, which is taken, succeeded.")
        expect(
            subject.client.get_container(other.id).name == other.name,
            f"A refused rename changed {other.name}'s name.",
        )


def check_a_replacement_keeps_the_configuration(subject: EngineSubject) -> None:
    """An update's transaction: the copy takes the old name and labels, and is not started.

    Nothing else is renamed or removed, and a copy without a health check is
    healthy once started.
    """
    client = subject.client
    with Stage.of(subject) as stage:
        old = stage.run("replaced", {LABEL: "kept"})
        image = client.inspect_image(old.image_id)
        expect(
            image is not None, f"inspect_image({old.image_id!r}) of a running container is None."
        )
        assert image is not None
        aside = subject.names("replaced-aside")
        client.rename_container(old.id, aside)
        stage.stop(old)
        new_id = client.create_replacement(old, image)
        stage.made(new_id)
        expect(new_id != old.id, "create_replacement() gave the old container's id.")
        new = client.get_container(new_id)
        expect(new.name == old.name, f"The replacement of {old.name} is named {new.name!r}.")
        expect(not new.state.is_running, f"The replacement is {new.state} before any start.")
        expect(new.image == old.image, f"The replacement runs {new.image}, not {old.image}.")
        expect(new.image_id == image.id, f"The replacement is not on the image {image.id}.")
        expect(new.labels.get(LABEL) == "kept", "The replacement lost its container's labels.")
        kept = client.get_container(old.id)
        expect(kept.name == aside, "create_replacement() renamed the old container.")
        client.start_container(new_id)
        expect(
            client.wait_until_healthy(new_id, subject.timeout),
            "wait_until_healthy() is not True for a started container without a health check.",
        )
        client.remove_container(old.id)
        listing = client.list_containers(include_stopped=True)
        expect(all(c.id != old.id for c in listing), "The removed old container is still listed.")


def check_a_removed_container_is_gone(subject: EngineSubject) -> None:
    """A stopped container, once removed, is neither listed nor found."""
    with Stage.of(subject) as stage:
        made = stage.run("removed")
        stage.stop(made)
        subject.client.remove_container(made.id)
        expect(
            stage.listed(made.id, include_stopped=True) is None,
            f"The removed {made.name} is still listed.",
        )
        try:
            subject.client.get_container(made.id)
        except ContainerError:
            return
        raise ConformanceError(f"get_container() still answers for the removed {made.name}.")


def check_a_missing_image_is_none(subject: EngineSubject) -> None:
    """``inspect_image`` finds an image by reference and by id; one the engine lacks is ``None``."""
    with Stage.of(subject) as stage:
        made = stage.run("inspected")
        by_reference = subject.client.inspect_image(str(subject.image))
        expect(by_reference is not None, f"inspect_image({str(subject.image)!r}) is None.")
        assert by_reference is not None
        expect(
            by_reference.id == made.image_id,
            f"inspect_image() of {subject.image} is {by_reference.id}, not its container's image.",
        )
        by_id = subject.client.inspect_image(made.image_id)
        expect(by_id is not None and by_id.id == made.image_id, "inspect_image() by id fails.")
    absent = str(attrs.evolve(subject.image, tag="watchtower-conformance-absent", digest=None))
    expect(subject.client.inspect_image(absent) is None, f"inspect_image({absent!r}) is not None.")


def check_a_pull_returns_the_local_image(subject: EngineSubject) -> None:
    """``pull_image`` returns the image its reference now names, with the registry's digest."""
    pulled = subject.client.pull_image(subject.image)
    local = subject.client.inspect_image(str(subject.image))
    expect(
        local is not None and local.id == pulled.id,
        f"pull_image({subject.image}) returned {pulled.id}, not the image the tag names now.",
    )
    expect(pulled.repo_digests, f"The pulled {subject.image} has no repo digests.")


def check_a_pull_of_an_absent_tag_is_an_engine_error(subject: EngineSubject) -> None:
    """A pull the registry cannot serve raises :class:`EngineError`."""
    absent = attrs.evolve(subject.image, tag="watchtower-conformance-absent", digest=None)
    try:
        subject.client.pull_image(absent)
    except EngineError:
        return
    raise ConformanceError(f"pull_image({absent}) succeeded for a tag nobody pushed.")


def check_an_image_in_use_is_not_removed(subject: EngineSubject) -> None:
    """``remove_image`` of a running container's image raises :class:`ImageInUseError`."""
    with Stage.of(subject) as stage:
        made = stage.run("in-use")
        try:
            subject.client.remove_image(made.image_id)
        except ImageInUseError:
            pass
        else:
            raise ConformanceError("remove_image() removed the image of a running container.")
        expect(
            subject.client.inspect_image(made.image_id) is not None,
            "remove_image() refused, but the image is gone.",
        )


def check_a_hook_runs_in_the_container(subject: EngineSubject) -> None:
    """``run_hook`` runs a command in a running container and gives its exit code."""
    with Stage.of(subject) as stage:
        made = stage.run("hooked")
        result = subject.client.run_hook(made.id, "true", subject.timeout)
        expect(result.exit_code == 0, f"run_hook('true') exited with {result.exit_code}.")


def check_calls_from_several_threads_agree(subject: EngineSubject) -> None:
    """Listings and snapshots asked from several threads at once all answer alike."""
    with Stage.of(subject) as stage:
        made = stage.run("threads")
        with ThreadPoolExecutor(8) as pool:
            snapshots = list(pool.map(lambda _: subject.client.get_container(made.id), range(8)))
            listings = list(pool.map(lambda _: stage.listed(made.id), range(8)))
        expect(
            {(s.id, s.name) for s in snapshots} == {(made.id, made.name)},
            "get_container() from several threads gave different answers.",
        )
        expect(
            all(entry is not None and entry.id == made.id for entry in listings),
            "list_containers() from several threads missed the running container.",
        )


def check_a_replacement_checker_tells_a_pass_from_a_stop(subject: EngineSubject) -> None:
    """An optional :class:`~watchtower.protocols.ReplacementChecker` passes a running
    container whose command probe exits 0, and fails a stopped one, in one clause.

    A client without the capability passes this check: it is optional.
    """
    client = subject.client
    if not isinstance(client, ReplacementChecker):
        return
    probed = Checks(probes=(Probe(ProbeKind.CMD, "true"),), timeout=subject.timeout)
    with Stage.of(subject) as stage:
        made = stage.run("checked")
        why = client.check_replacement(made.id, probed)
        expect(why == "", f"check_replacement() failed a running container that passes: {why!r}.")
        stage.stop(made)
        why = client.check_replacement(made.id, Checks(soak=timedelta(seconds=1)))
        expect(bool(why), "check_replacement() passed a stopped container.")
        expect(
            "\n" not in why and not why.endswith("."),
            f"check_replacement() answered {why!r}, not one clause.",
        )
