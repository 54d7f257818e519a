"""Pytest fixture for the browser tests: Debian's headless Chromium, driven by selenium.

``browser`` is a fresh Chromium (its own profile under the test's tmp_path)
at a desktop size. Debian's ``chromium`` and ``chromium-driver`` are used; no
browser is downloaded. Without them the test skips, unless
``WATCHTOWER_E2E_REQUIRED=1``, where it fails instead.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import dockerd as dockerd_support

#: The window a test starts with: a desktop screen.
DESKTOP = (1280, 900)
#: A phone's viewport, in CSS pixels.
PHONE = (390, 844)

# Without these, Chromium tries to reach services on the internet over and over.
QUIET = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--no-default-browser-check",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium webdriver at :data:`DESKTOP` size, quit when the test ends."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        reason = "Debian's chromium and chromium-driver are not installed"
        if dockerd_support.required():
            pytest.fail(f"the browser test must run here, but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in QUIET:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size={},{}".format(*DESKTOP))
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
