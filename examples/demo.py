"""watchtower end to end, on this machine: ``nox -s demo`` (or ``python examples/demo.py``).

Without ``DOCKER_HOST`` it brings up a private Docker engine and a registry on
127.0.0.1 (the same ones the test suite uses; as root it installs Debian's
docker.io, docker-registry and busybox-static when they are missing), runs
three containers, pushes a new image for one of them, shows the plan, runs
one update, prints the report and tears everything down.

With ``DOCKER_HOST`` set it connects to that engine and only shows the plan:
nothing is pulled, stopped or created.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from watchtower import Event, UpdateParams, plan, update  # noqa: E402
from watchtower.docker import DockerClient  # noqa: E402
from watchtower.registry import HttpRegistry  # noqa: E402

PACKAGES = {
    "dockerd": "docker.io",
    "docker-registry": "docker-registry",
    "/bin/busybox": "busybox-static",
}


def tell(event: Event) -> None:
    """One line per event: what happened, and to which container (none for the run's own)."""
    what = event.kind.replace("_", " ")
    print(f"  {event.container}: {what}" if event.container else f"  {what}")


def install_missing() -> None:
    """Install the Debian packages the private engine needs, as root, when missing."""
    missing = sorted(
        {
            pkg
            for binary, pkg in PACKAGES.items()
            if shutil.which(binary) is None and not Path(binary).exists()
        }
    )
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        sys.exit(f"The demo needs the Debian packages {', '.join(missing)}; install them as root.")
    print(f"Installing {', '.join(missing)} ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


def plan_only() -> None:
    """Show what an update of the engine at DOCKER_HOST would do, changing nothing."""
    client = DockerClient.from_env()
    print(f"Engine: {client!r}. Showing the plan only; nothing is changed.\n")
    print(plan(client, HttpRegistry(), UpdateParams(), pull=False).describe())
    client.close()


def private_demo() -> None:
    """The whole story on a private engine and registry."""
    install_missing()
    from tests.support import images
    from tests.support.dockerd import Dockerd, unavailable_reason
    from tests.support.registry import RegistryServer

    reason = unavailable_reason()
    if reason:
        sys.exit(f"Cannot start a private Docker engine: {reason}.")
    workdir = Path(tempfile.mkdtemp(prefix="watchtower-demo-"))
    print("Starting a private dockerd and a registry on 127.0.0.1 ...", flush=True)
    engine = Dockerd.start()
    registry_server = None
    try:
        registry_server = RegistryServer.start(workdir / "registry")
        client = DockerClient.from_env(engine.url)
        api = client.api
        host = registry_server.host
        print(f"Engine: {client!r}; registry: {host}\n")
        for name in ("web", "db", "cache"):
            images.build_and_push(api, f"{host}/demo/{name}:latest", version="1")
            created = api.create_container(
                f"{host}/demo/{name}:latest",
                name=f"demo-{name}",
                labels={"demo": "true"},
                host_config=api.create_host_config(network_mode="none"),
            )
            api.start(created["Id"])
            print(f"Running demo-{name} on {host}/demo/{name}:latest")
        images.build_and_push(api, f"{host}/demo/web:latest", version="2")
        api.remove_image(f"{host}/demo/web:latest")  # so the update really pulls it
        print(f"Pushed a new {host}/demo/web:latest\n")

        params = UpdateParams(enable_labels=("demo=true",), stop_timeout=timedelta(seconds=5))
        registry = HttpRegistry()
        print("The plan:")
        print(plan(client, registry, params).describe())
        print("\nUpdating ...", flush=True)
        report = update(
            client,
            registry,
            params,
            observer=tell,
        )
        print("\nThe report:")
        for entry in report:
            line = f"  {entry.name:<12} {entry.outcome.value:<9} {entry.image}"
            if entry.reason:
                line += f"  ({entry.reason})"
            print(line)
        print(report.summary())
        client.close()
    finally:
        print("\nTearing down ...", flush=True)
        if registry_server is not None:
            registry_server.stop()
        engine.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    """Plan only against DOCKER_HOST; otherwise the whole demo on a private engine."""
    if os.environ.get("DOCKER_HOST"):
        plan_only()
    else:
        private_demo()


if __name__ == "__main__":
    main()
