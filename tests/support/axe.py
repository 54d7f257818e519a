"""Accessibility checks in the browser tests: axe-core, from its npm package, run in the page.

``axe`` is a function that injects axe-core into the browser's current page,
runs it, and returns the violations of the impacts asked for. The package
is fetched once with ``npm pack`` (Debian's ``npm``) into a cache folder
under ``~/.cache``; no browser extension, nothing loaded by the page
itself. Without npm the test skips, unless ``WATCHTOWER_E2E_REQUIRED=1``,
where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from . import dockerd as dockerd_support

#: The axe-core release the checks run (a pinned 4.x: its rules decide what fails).
AXE_VERSION = "4.10.2"

#: What fails a test: the two highest of axe's four impacts.
SERIOUS = ("serious", "critical")

Axe = Callable[..., list[dict[str, Any]]]


def _cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "watchtower-tests" / f"axe-core-{AXE_VERSION}"


def axe_source() -> str:
    """The text of ``axe.min.js``, packed with npm into the cache the first time."""
    target = _cache() / "axe.min.js"
    if target.is_file():
        return target.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        reason = "npm (Debian package npm) is not installed: axe-core cannot be fetched"
        if dockerd_support.required():
            pytest.fail(f"the accessibility test must run here, but {reason}")
        pytest.skip(reason)
    target.parent.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run(
        [npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"],
        cwd=target.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    tarball = target.parent / f"axe-core-{AXE_VERSION}.tgz"
    if packed.returncode != 0 or not tarball.is_file():
        reason = f"npm pack axe-core@{AXE_VERSION} failed: {packed.stderr.strip()[-300:]}"
        if dockerd_support.required():
            pytest.fail(reason)
        pytest.skip(reason)
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None, "the axe-core package has no axe.min.js"
        text = member.read().decode("utf-8")
    target.write_text(text, encoding="utf-8")
    tarball.unlink()
    return text


_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  (r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary).slice(0, 5)}))),
  (e) => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


def run_axe(browser: Any, impacts: Sequence[str] = SERIOUS) -> list[dict[str, Any]]:
    """axe-core's violations of ``impacts`` in the browser's current page."""
    if not browser.execute_script("return typeof window.axe === 'object';"):
        browser.execute_script(axe_source())
    browser.set_script_timeout(60)
    found = browser.execute_async_script(_RUN)
    return [v for v in found if v["impact"] in impacts]


def emulate_colour_scheme(browser: Any, scheme: str) -> None:
    """``prefers-color-scheme: <scheme>`` for the page, through Chromium's DevTools protocol."""
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"media": "", "features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )


@pytest.fixture
def axe() -> Axe:
    """:func:`run_axe`, its package fetched (or the test skipped) before the test starts."""
    axe_source()
    return run_axe
