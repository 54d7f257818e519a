"""Development sessions: tests, lint, typecheck, docs, fuzz, bench, demo, image."""

from __future__ import annotations

import glob
import os

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

EXTRAS = ".[cli,test,apprise,mqtt]"


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (the end-to-end tests need dockerd and docker-registry)."""
    session.install("-e", EXTRAS)
    session.run("pytest", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The fuzz suite (tests/fuzz) with a long budget: 5000 inputs per property.

    Set WATCHTOWER_FUZZ_EXAMPLES to dig deeper; the regular test run uses 300.
    Then each parser is fuzzed coverage-guided with atheris for
    WATCHTOWER_FUZZ_SECONDS (default 60) when atheris installs, from its
    seed corpus and dictionary (tests/fuzz/seeds.py).
    """
    session.install("-e", EXTRAS)
    examples = os.environ.get("WATCHTOWER_FUZZ_EXAMPLES", "5000")
    session.run(
        "pytest", "tests/fuzz", *session.posargs, env={"WATCHTOWER_FUZZ_EXAMPLES": examples}
    )
    # Then coverage-guided, where atheris installs (it ships wheels for Linux).
    try:
        session.install("atheris")
    except nox.command.CommandFailed:
        session.warn("atheris could not be installed; skipping the coverage-guided part")
        return
    seconds = os.environ.get("WATCHTOWER_FUZZ_SECONDS", "60")
    for target in ATHERIS_TARGETS:
        session.run(
            "python", "-m", "tests.fuzz.atheris_targets", target, f"-max_total_time={seconds}"
        )


ATHERIS_TARGETS = (
    "reference",
    "challenge",
    "schedule",
    "duration",
    "url",
    "token",
    "helper",
    "retry-after",
    "window",
)


LINTED = ("watchtower", "tests", "examples", "benchmarks", "noxfile.py", "docs/conf.py")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff's checks and its formatting over the package, tests, examples and benchmarks."""
    session.install("ruff")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", EXTRAS, "mypy", "types-requests")
    session.run("mypy", "watchtower")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the Sphinx docs; any warning is an error."""
    session.install("-e", EXTRAS, "sphinx", "furo")
    session.run(
        "sphinx-build", "-n", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ and print its figures."""
    # Installed as a user installs it (not editable): the start-up figures
    # time the watchtower script that pip writes.
    session.install(EXTRAS)
    for script in sorted(glob.glob("benchmarks/bench_*.py")):
        session.run("python", script, *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Bring up a private engine and registry, show a plan, run one update."""
    session.install("-e", EXTRAS)
    session.run("python", "examples/demo.py", *session.posargs)


@nox.session
def image(session: nox.Session) -> None:
    """Build the image ``watchtower`` with no network, on a local Debian base (mmdebstrap).

    The wheels are made here and the Dockerfile built with ``BASE`` and
    ``WHEELS`` on the engine of ``$DOCKER_HOST``, else the default socket;
    ``nox -s image -- --help`` lists the options. The image tests build it the same way.
    """
    session.install("docker>=7.1", "requests>=2.32", "attrs>=23.1")
    session.run("python", "-m", "tests.support.watchtower_image", *session.posargs)


@nox.session
def fresh(session: nox.Session) -> None:
    """Run the README's set-up commands in a fresh Debian container, as root with no sudo.

    ``nox -s fresh -- trixie`` (the default) or ``-- bookworm``: a Debian root
    with only Python (mmdebstrap), where ``scripts/demo --setup-only`` and
    ``.ci/run --setup-only`` must work as written and leave the system Python
    alone. It runs on the engine of ``$DOCKER_HOST``, else the default socket.
    """
    session.install("docker>=7.1", "requests>=2.32", "attrs>=23.1")
    session.run("python", "-m", "tests.support.fresh_debian", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel into dist/ and check them.

    twine checks their metadata (the README must render on the index); then
    the wheel goes into a fresh virtual environment, where the installed
    ``watchtower`` script must answer ``--version`` with this version.
    """
    import shutil
    import tempfile
    from pathlib import Path

    session.install("build", "twine")
    shutil.rmtree("dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist")
    session.run("twine", "check", "--strict", *sorted(glob.glob("dist/*")))
    (wheel,) = glob.glob("dist/*.whl")
    version = wheel.split("-")[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = Path(tmp, "venv")
        session.run("python", "-m", "venv", str(env))
        session.run(str(env / "bin/python"), "-m", "pip", "install", "-q", wheel, external=True)
        answer = session.run(str(env / "bin/watchtower"), "--version", external=True, silent=True)
    if answer is None or answer.split() != ["watchtower", version]:
        session.error(f"the installed wheel's watchtower --version said {answer!r}")
    session.log(f"{wheel} installs, and its watchtower --version says {version}")
