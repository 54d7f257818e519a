"""The status page with 200 containers on the real engine, on a desktop and on a phone.

A tenth of them are stale, a quarter run an image whose registry cannot be
reached: the page must say so (an error, counted), put those first, filter
and search them, and stay one column on a phone. The figures (how long the
200 took to create, the page to load and the check to answer, and the page's
height on a phone) are printed for the record and bounded.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.api_process import TOKEN, serving
from tests.support.browser import PHONE
from tests.support.e2e_fixtures import Images, Names
from tests.support.net import free_port

pytestmark = pytest.mark.e2e

COUNT = 200
STACK = 20  # the first twenty are one compose project
STALE = 30  # two repositories of fifteen containers each get a new push
UNREACHABLE = 50  # their registry's port is closed

# Each row as the page shows it, in document order: name, status, hidden.
ROWS = """
return [...document.querySelectorAll('#containers tr[data-name]')].map(
  (r) => [r.dataset.name, r.dataset.status, r.hidden]);
"""


def _create(api: Any, reference: str, name: str, project: str = "") -> None:
    created = api.create_container(
        reference,
        name=name,
        command=["sleep", "3600"],
        labels={"com.docker.compose.project": project} if project else {},
        host_config=api.create_host_config(network_mode="none"),
    )
    api.start(created["Id"])


def test_two_hundred_containers_are_sorted_filtered_and_fit_a_phone(
    browser: Any,
    dockerd: Any,
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()
    repos = [e2e_names(f"r{i}") for i in range(10)]
    references = [e2e_images.publish(repo, "v1") for repo in repos]
    # An image of a registry nobody answers at: a check cannot reach it.
    nowhere = f"127.0.0.1:{free_port()}/unreachable/app"
    docker_api.tag(e2e_images.build("v1"), nowhere, "v1")
    names = []
    for i in range(COUNT):
        name = e2e_names(f"c{i:03}")
        names.append(name)
        reference = f"{nowhere}:v1" if i >= COUNT - UNREACHABLE else references[i % 10]
        _create(docker_api, reference, name, "shop" if i < STACK else "")
    for repo in repos[:2]:
        e2e_images.publish(repo, "v2")
    created = time.monotonic() - started
    stale = {n for i, n in enumerate(names[: COUNT - UNREACHABLE]) if i % 10 < 2}
    failing = set(names[COUNT - UNREACHABLE :])
    assert len(stale) == STALE

    wait = WebDriverWait(browser, 180, ignored_exceptions=(StaleElementReferenceException,))

    def rows() -> list[list[Any]]:
        return list(browser.execute_script(ROWS))

    def text(element_id: str) -> str:
        return str(browser.find_element(By.ID, element_id).text)

    with serving(
        dockerd.url, tmp_path, names, "--http-api-rate-limit", "6000", log=tmp_path / "log"
    ) as (_, base):
        browser.get(base + "/")
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(lambda _: len(rows()) == COUNT)
        # Loaded again, logged in: the figure is the page's own, not the login's.
        loading = time.monotonic()
        browser.refresh()
        wait.until(lambda _: len(rows()) == COUNT)
        loaded = time.monotonic() - loading
        # The next run is the server's (the schedule's 04:00, on the hour in UTC too).
        upcoming = browser.find_element(By.ID, "next-run")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:[03]0:00Z", upcoming.get_attribute("data-at"))
        assert upcoming.text not in ("", "none scheduled")

        checking = time.monotonic()
        browser.find_element(By.ID, "check-all").click()
        wait.until(lambda _: text("message").startswith("Checked "))
        checked = time.monotonic() - checking
        message = text("message")
        assert message.startswith(f"Checked {COUNT} container(s): {len(stale)} with an update, ")
        assert f"{UNREACHABLE} could not be checked ({UNREACHABLE}: " in message
        assert "Nothing to update" not in message
        shown = rows()
        statuses = {name: status for name, status, _ in shown}
        assert {n for n, s in statuses.items() if s == "stale"} == stale
        assert {n for n, s in statuses.items() if s == "error"} == failing
        assert {s for n, s in statuses.items() if n not in stale | failing} == {"fresh"}
        # Errors first, then stale, each by name; the rest by name.
        order = [name for name, _, _ in shown]
        assert order == sorted(failing) + sorted(stale) + sorted(set(names) - stale - failing)
        badge = browser.find_element(By.CSS_SELECTOR, f"tr[data-name='{max(failing)}'] .badge")
        assert badge.text == "error"
        overview = text("overview")
        assert overview.startswith(
            f"{COUNT} containers: {len(stale)} stale, {UNREACHABLE} could not be checked;"
            " last checked "
        )

        # The chips: stale alone, then the search within them.
        chips = {c.text: c for c in browser.find_elements(By.CSS_SELECTOR, "#chips .chip")}
        assert set(chips) == {
            f"Stale ({len(stale)})",
            f"Failed or not checked ({UNREACHABLE})",
            f"stack shop ({STACK})",
        }
        # A stack's chip shows its compose project's containers alone.
        chips[f"stack shop ({STACK})"].click()
        wait.until(lambda _: sum(not hidden for _, _, hidden in rows()) == STACK)
        assert sorted(n for n, _, hidden in rows() if not hidden) == names[:STACK]
        browser.find_element(By.CSS_SELECTOR, "#chips .chip[aria-pressed='true']").click()
        wait.until(lambda _: not any(hidden for _, _, hidden in rows()))
        chips = {c.text: c for c in browser.find_elements(By.CSS_SELECTOR, "#chips .chip")}
        chips[f"Stale ({len(stale)})"].click()
        wait.until(lambda _: sum(not hidden for _, _, hidden in rows()) == len(stale))
        assert text("shown") == f"Showing {len(stale)} of {COUNT} containers."
        browser.find_element(By.ID, "search").send_keys(names[0][-4:])
        wait.until(lambda _: [n for n, _, hidden in rows() if not hidden] == [names[0]])
        browser.find_element(By.ID, "search").clear()
        browser.find_element(By.CSS_SELECTOR, "#chips .chip[aria-pressed='true']").click()
        wait.until(lambda _: not any(hidden for _, _, hidden in rows()))
        # Sorted by name, the order is the names'.
        browser.find_element(By.CSS_SELECTOR, "#sort option[value='name']").click()
        wait.until(lambda _: [n for n, _, _ in rows()] == sorted(names))
        browser.save_screenshot(str(tmp_path / "two-hundred.png"))

        # On a phone: one column, no sideways scrolling, compact rows.
        browser.set_window_size(*PHONE)
        width, inner, height, row_height = browser.execute_script(
            "const r = document.querySelector('#containers tr[data-name]');"
            "return [document.documentElement.scrollWidth, window.innerWidth,"
            " document.documentElement.scrollHeight, r.getBoundingClientRect().height];"
        )
        browser.save_screenshot(str(tmp_path / "two-hundred-phone.png"))
    print(
        f"\n{COUNT} containers: created in {created:.1f} s; page loaded in {loaded:.2f} s;"
        f" checked in {checked:.1f} s; on a phone ({PHONE[0]} px wide) the page is"
        f" {height} px high, a row {row_height:.0f} px, {width} px wide"
    )
    assert width <= inner
    assert row_height <= 110
    assert height <= COUNT * 115 + 4000
    assert loaded < 15
