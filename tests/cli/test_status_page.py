"""The status page in headless Chromium, as a person uses it, against a real engine and registry.

The browser is the ``browser`` fixture of :mod:`tests.support.browser`.
Screenshots of the page go to ``docs/_static``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.api_process import TOKEN, serving
from tests.support.browser import PHONE
from tests.support.e2e_fixtures import Images, Names

pytestmark = pytest.mark.e2e

DOCS_STATIC = Path(__file__).resolve().parents[2] / "docs" / "_static"


def _publish_stale(api: Any, images: Images, names: Names, repo: str, app: str) -> str:
    reference = images.publish(names(repo), "v1")
    created = api.create_container(
        reference, name=names(app), host_config=api.create_host_config(network_mode="none")
    )
    api.start(created["Id"])
    return reference


def test_log_in_update_one_stale_container_and_see_it_live(
    browser: Any,
    dockerd: Any,
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    _publish_stale(docker_api, e2e_images, e2e_names, "web", "web")
    _publish_stale(docker_api, e2e_images, e2e_names, "db", "db")
    e2e_images.publish(e2e_names("web"), "v2")
    e2e_images.publish(e2e_names("db"), "v2")
    web, db = e2e_names("web"), e2e_names("db")
    old_web = docker_api.inspect_container(web)["Id"]
    old_db = docker_api.inspect_container(db)["Id"]
    # The page redraws its rows after each run: an element may go stale while looked at.
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))

    def row(name: str) -> Any:
        return browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{name}"]')

    def status_of(name: str) -> str:
        # Read in one step: the page redraws its rows after each run.
        return str(
            browser.execute_script(
                "const r = document.querySelector(`tr[data-name='${arguments[0]}']`);"
                "return r ? r.dataset.status : '';",
                name,
            )
        )

    with serving(dockerd.url, tmp_path, [web, db], "--http-api-rate-limit", "600") as (_, base):
        browser.get(base + "/")
        # The login form: a wrong token is refused, the right one sets the cookie.
        browser.find_element(By.ID, "token").send_keys("wrong")
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "p.error")))
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, "tr[data-name]")) == 2)
        assert {row(n).find_element(By.CSS_SELECTOR, ".name").text for n in (web, db)} == {web, db}
        assert browser.get_cookie("access_token")["httpOnly"] is True
        wait.until(lambda _: browser.find_element(By.ID, "app").get_attribute("data-live") == "yes")

        # Check now: both are stale, with their registry digests.
        browser.find_element(By.ID, "check-all").click()
        wait.until(lambda _: status_of(web) == "stale" and status_of(db) == "stale")
        assert row(web).find_element(By.CSS_SELECTOR, ".latest").text != "\u2014"
        local = row(web).find_element(By.CSS_SELECTOR, ".digest").text
        browser.save_screenshot(str(tmp_path / "checked.png"))

        # Update now for web alone: the plan is shown first, then it runs, live.
        row(web).find_element(By.XPATH, ".//button[text()='Update']").click()
        dialog = wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        assert web in dialog.text and db not in dialog.text
        browser.save_screenshot(str(tmp_path / "plan.png"))
        browser.find_element(By.ID, "plan-go").click()
        wait.until(lambda _: status_of(web) == "updated")
        assert status_of(db) == "stale"
        events = browser.find_element(By.ID, "events").text
        assert "stopped" in events and "updated" in events

        # Once the run is over, the row shows the digest the replacement runs.
        wait.until(lambda _: row(web).find_element(By.CSS_SELECTOR, ".digest").text != local)
        # The run is in the history.
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "#history tbody tr td"))
        cells = browser.find_elements(By.CSS_SELECTOR, "#history tbody tr:first-child td")
        assert [c.text for c in cells[1:3]] == ["1", "1"]
        browser.save_screenshot(str(tmp_path / "status-page.png"))
        browser.set_window_size(*PHONE)
        browser.save_screenshot(str(tmp_path / "status-page-phone.png"))

    assert docker_api.inspect_container(web)["Id"] != old_web
    assert docker_api.inspect_container(db)["Id"] == old_db
    for shot in ("status-page.png", "status-page-phone.png", "plan.png"):
        assert (tmp_path / shot).stat().st_size > 10_000
    # Kept for the docs by hand: WATCHTOWER_SCREENSHOTS=1 copies them into docs/_static.
    import os

    if os.environ.get("WATCHTOWER_SCREENSHOTS") == "1":
        for shot in ("status-page.png", "status-page-phone.png", "plan.png"):
            shutil.copy(tmp_path / shot, DOCS_STATIC / shot)
