"""The status page in headless Chromium, as a person uses it.

Against a real engine and registry, and against the in-memory engines of a
hosts file served in-process. The browser is the ``browser`` fixture of
:mod:`tests.support.browser`. Screenshots of the page go to ``docs/_static``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.api_process import TOKEN, serving
from tests.support.browser import PHONE
from tests.support.e2e_fixtures import Images, Names
from watchtower.cli.api import ApiServer, create_app
from watchtower.cli.api._base import EXTENSION, Context
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.runner import Runner
from watchtower.events import Failed, Updated
from watchtower.params import UpdateParams
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import WEB, make_runner
from .test_cli_hosts import _fleet, _runner

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
        # One engine: the one table, no host heading.
        assert browser.find_element(By.ID, "containers").is_displayed()
        assert not browser.find_elements(By.CSS_SELECTOR, "#hosts > *, h3")
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


IDS = ("old_id", "new_id", "old_image_id", "new_image_id")

# The host sections as the page shows them: heading, and each row's host, name and status.
SECTIONS = """
return [...document.querySelectorAll('#hosts section.host')].map((s) => {
  const h = s.querySelector('h3');
  return {
    heading: h.textContent,
    labelled: s.getAttribute('aria-labelledby') === h.id,
    rows: [...s.querySelectorAll('table tbody tr')].map(
      (r) => [r.dataset.host, r.querySelector('.name').textContent, r.dataset.status]),
  };
});
"""


@contextmanager
def _page(browser: Any, runner: Runner) -> Iterator[Context]:
    """``runner``'s app with every endpoint, served in-process, logged in; the app's context."""
    from selenium.webdriver.common.by import By

    app = create_app(runner, ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN))
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    try:
        browser.get(f"http://127.0.0.1:{server.port}/")
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        yield app.extensions[EXTENSION]
    finally:
        server.stop()


def test_a_hosts_file_page_has_a_section_per_host_and_events_find_their_host(
    browser: Any, registry: MemoryRegistry, clock: FixedClock
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # b is listed first: the sections follow the hosts file, not the alphabet.
    engines, fleet = _fleet(registry, "b unix:///b.sock\na unix:///a.sock")
    registry.publish(WEB)
    engines["unix:///a.sock"].run("web", WEB)
    registry.publish(WEB)  # a's web is stale now; b's pulls the new image: fresh
    engines["unix:///b.sock"].run("web", WEB)
    wait = WebDriverWait(browser, 30)

    def sections() -> list[dict[str, Any]]:
        return list(browser.execute_script(SECTIONS))

    def statuses() -> list[str]:
        return [row[2] for section in sections() for row in section["rows"]]

    with _page(browser, _runner(registry, fleet, clock)) as state:
        wait.until(lambda _: len(sections()) == 2)
        assert [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#hosts h3")] == ["b", "a"]
        assert not browser.find_element(By.ID, "containers").is_displayed()
        assert sections() == [
            {"heading": "b", "labelled": True, "rows": [["b", "web", "unknown"]]},
            {"heading": "a", "labelled": True, "rows": [["a", "web", "unknown"]]},
        ]
        title = browser.find_element(By.XPATH, "//tr[@data-host='b']//button[text()='Update']")
        assert "every container named web, on each host" in title.get_attribute("title")

        # Check now: each host's web gets its own answer.
        browser.find_element(By.ID, "check-all").click()
        wait.until(lambda _: statuses() == ["fresh", "stale"])
        assert (
            "Checked 2 container(s): 1 with an update."
            in browser.find_element(By.ID, "message").text
        )
        # A chip per host: host a alone hides b's section; pressed again, both are back.
        chips = {c.text: c for c in browser.find_elements(By.CSS_SELECTOR, "#chips .chip")}
        assert set(chips) == {"Stale (1)", "host b (1)", "host a (1)"}
        chips["host a (1)"].click()
        wait.until(lambda _: not browser.find_element(By.CSS_SELECTOR, "section[data-host=b]")
                   .is_displayed())  # fmt: skip
        assert browser.find_element(By.CSS_SELECTOR, "section[data-host=a]").is_displayed()
        browser.find_element(By.CSS_SELECTOR, "#chips .chip[aria-pressed=true]").click()
        wait.until(lambda _: browser.find_element(By.CSS_SELECTOR, "section[data-host=b]")
                   .is_displayed())  # fmt: skip
        # Read again, the statuses come from the API by host and name.
        browser.refresh()
        wait.until(lambda _: statuses() == ["fresh", "stale"])

        wait.until(lambda _: browser.find_element(By.ID, "app").get_attribute("data-live") == "yes")
        state.broadcaster.publish(
            Failed(at=clock(), container="web", host="b", step="pull", reason="refused")
        )
        wait.until(lambda _: statuses()[0] == "failed")
        assert statuses() == ["failed", "stale"]
        b_row = browser.find_element(By.CSS_SELECTOR, "tr[data-host='b'] .status")
        # Then when it was last checked, by the server's (fixed) clock.
        failed, reason, checked = b_row.text.split("\n")
        assert [failed, reason] == ["failed", "refused"] and checked.startswith("checked ")
        assert "web on b failed" in browser.find_element(By.ID, "events").text
        # And one for a's web, the second row of that name, changes a's row alone.
        state.broadcaster.publish(
            Updated(at=clock(), container="web", host="a", **dict.fromkeys(IDS, "x"))
        )
        wait.until(lambda _: statuses()[1] == "updated")
        assert statuses() == ["failed", "updated"]


def test_a_one_engine_page_has_one_table_and_no_host_heading(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    registry.publish(WEB)
    engine.run("web", WEB)
    wait = WebDriverWait(browser, 30)
    rows = "#containers tbody tr[data-name='web']"

    with _page(browser, make_runner(engine, registry, clock)) as state:
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, rows))
        assert browser.find_element(By.ID, "containers").is_displayed()
        assert not browser.find_elements(By.CSS_SELECTOR, "#hosts > *, h3, tr[data-host]")
        update = browser.find_element(By.CSS_SELECTOR, rows + " button:last-child")
        assert update.get_attribute("title") == "Update web"

        wait.until(lambda _: browser.find_element(By.ID, "app").get_attribute("data-live") == "yes")
        state.broadcaster.publish(Failed(at=clock(), container="web", step="pull", reason="no"))
        wait.until(
            lambda _: (
                browser.find_element(By.CSS_SELECTOR, rows).get_attribute("data-status") == "failed"
            )
        )


def test_the_page_shows_the_versions_and_the_release_notes_link(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """Under the image: the running version, then ``1.25.3 → 1.25.4`` and the link once found."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from watchtower.versions import SOURCE, VERSION

    source = "https://github.com/example/web"
    registry.publish(WEB, labels={VERSION: "1.25.3", SOURCE: source})
    engine.run("web", WEB)
    registry.publish(WEB, labels={VERSION: "1.25.4", SOURCE: source})
    wait = WebDriverWait(browser, 30)
    version = "#containers tr[data-name='web'] .image .version"

    def shown() -> list[str]:
        # Read in one step: the page redraws its rows after each run.
        return list(
            browser.execute_script(
                "const v = document.querySelector(arguments[0]);"
                "const a = v && v.querySelector('a.notes');"
                "return v ? [v.textContent, a ? a.href : '', a ? a.rel : ''] : ['', '', ''];",
                version,
            )
        )

    with _page(browser, make_runner(engine, registry, clock)) as state:
        wait.until(lambda _: shown() == ["1.25.3", "", ""])
        wait.until(lambda _: browser.find_element(By.ID, "app").get_attribute("data-live") == "yes")
        # A run that finds the new image announces it through the event stream.
        state.runner.run(UpdateParams(monitor_only=True))
        notes = f"{source}/releases/tag/1.25.4"
        wait.until(
            lambda _: (
                shown() == ["1.25.3 \u2192 1.25.4 release notes", notes, "noopener noreferrer"]
            )
        )


def test_a_row_rolls_back_from_the_page_is_held_and_is_released(
    browser: Any, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """b's web was updated once: its row goes back, through the plan dialog, and lets go."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from watchtower.history import MemoryHistory
    from watchtower.versions import VERSION

    engines, fleet = _fleet(registry, "a unix:///a.sock\nb unix:///b.sock")
    b = engines["unix:///b.sock"]
    registry.publish(WEB, labels={VERSION: "1.25.3"})
    b.run("web", WEB)
    old = b.container("web").image_id
    registry.publish(WEB, labels={VERSION: "1.25.4"})
    engines["unix:///a.sock"].run("web", WEB)  # a's web is current: nothing to go back to
    runner = _runner(registry, fleet, clock)
    runner.history = MemoryHistory()
    runner.run()
    new = b.container("web").image_id
    assert new != old
    wait = WebDriverWait(browser, 30)

    def rows() -> list[list[str]]:
        # Each row's host, its hold, its status cell and its buttons' accessible names and titles.
        return list(
            browser.execute_script(
                "return [...document.querySelectorAll('#hosts tr[data-name]')].map((r) => ["
                "r.dataset.host, r.dataset.held || '', r.querySelector('.status').innerText,"
                "...[...r.querySelectorAll('button')].slice(2).map("
                "(b) => b.getAttribute('aria-label') + ': ' + b.title)]);"
            )
        )

    with _page(browser, runner):
        wait.until(lambda _: len(rows()) == 2)
        assert rows() == [
            ["a", "", "not checked"],
            [
                "b",
                "",
                "not checked",
                "Roll back web on b: Put web back on 1.25.3, and hold it there",
            ],
        ]
        browser.find_element(By.CSS_SELECTOR, "button[aria-label='Roll back web on b']").click()
        dialog = wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        assert "web on b (example.org/web:1): 1.25.4 \u2192 1.25.3" in dialog.text
        go = browser.find_element(By.ID, "plan-go")
        assert go.text == "Roll back"
        go.click()
        wait.until(lambda _: rows()[1][1] == "1.25.3")
        assert b.container("web").image_id == old
        assert engines["unix:///a.sock"].container("web").image_id == new
        version = "#hosts tr[data-host='b'] .image .version"
        assert browser.find_element(By.CSS_SELECTOR, version).text == "1.25.3"
        assert rows() == [
            ["a", "", "not checked"],
            [
                "b",
                "1.25.3",
                "updated\nheld on 1.25.3",
                "Roll back web on b: Put web back on 1.25.4, and hold it there",
                "Release web on b: Let web update again",
            ],
        ]
        assert "web on b: rolled back to 1.25.3" in browser.find_element(By.ID, "message").text

        browser.find_element(By.CSS_SELECTOR, "button[aria-label='Release web on b']").click()
        wait.until(lambda _: rows()[1][1] == "")
        assert rows()[1] == [
            "b", "", "updated", "Roll back web on b: Put web back on 1.25.4, and hold it there"
        ]  # fmt: skip
        assert "web on b is released" in browser.find_element(By.ID, "message").text
    assert runner.history.holds() == {}


def test_a_row_outside_its_window_says_when_the_window_opens(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock, tmp_path: Path
) -> None:
    """A check finds web stale on a Thursday: it waits for Saturday's window, and says so."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from watchtower.labels import WINDOW

    registry.publish(WEB)
    engine.run("web", WEB, labels={WINDOW: "Sat 02:00/4h"})
    registry.publish(WEB)
    wait = WebDriverWait(browser, 30)
    row = "#containers tr[data-name='web']"

    def cells() -> list[str]:
        # Read in one step: the page redraws its rows after each run.
        return list(
            browser.execute_script(
                "const r = document.querySelector(arguments[0]);"
                "const t = r && r.querySelector('.status time');"
                "return r ? [r.querySelector('.name').innerText,"
                " r.querySelector('.status').innerText, t ? t.dateTime : ''] : ['', '', ''];",
                row,
            )
        )

    with _page(browser, make_runner(engine, registry, clock)):
        wait.until(lambda _: cells()[0] == "web\nwindow Sat 02:00/4h")
        assert cells()[1] == "not checked"
        # No history (--data-dir): /v1/approvals answers 400, and the section stays hidden.
        assert not browser.find_element(By.ID, "approvals-card").is_displayed()
        browser.find_element(By.ID, "check-all").click()
        wait.until(lambda _: cells()[1].startswith("stale"))
        _, status, due = cells()
        assert status.split("\n")[1].startswith(
            "waits for the window that opens Sat 2026-01-03 02:00 UTC ("
        )
        assert due == "2026-01-03T02:00:00Z"
        browser.save_screenshot(str(tmp_path / "window.png"))
        assert (tmp_path / "window.png").stat().st_size > 10_000
        # Read again, the details say the same.
        browser.refresh()
        wait.until(lambda _: cells()[1].startswith("stale\nwaits for the window"))
        assert cells()[2] == due


def test_an_update_waiting_for_approval_is_approved_on_the_page_and_replaced_live(
    browser: Any,
    dockerd: Any,
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    """The approve policy: a run asks; the page lists it; Approve, confirmed, replaces it."""
    import requests
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from watchtower.labels import POLICY
    from watchtower.versions import SOURCE, VERSION

    name, repo = e2e_names("app"), e2e_names("approve-page")
    source = "https://github.com/example/app"
    reference = e2e_images.publish(repo, "v1", labels={VERSION: "1.0", SOURCE: source})
    created = docker_api.create_container(
        reference,
        name=name,
        labels={POLICY: "approve"},
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    docker_api.start(created["Id"])
    e2e_images.publish(repo, "v2", labels={VERSION: "1.1", SOURCE: source})
    old = docker_api.inspect_container(name)["Id"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    wait = WebDriverWait(browser, 120, ignored_exceptions=(StaleElementReferenceException,))
    item = f"#approvals li[data-name='{name}']"

    def status_of() -> str:
        return str(
            browser.execute_script(
                "const r = document.querySelector(`tr[data-name='${arguments[0]}']`);"
                "return r ? r.dataset.status + '|' + r.querySelector('.status').innerText : '';",
                name,
            )
        )

    def approvals_text() -> str:
        return str(
            browser.execute_script(
                "const c = document.getElementById('approvals-card');"
                "return c.hidden ? 'hidden' : document.getElementById('approvals').innerText;"
            )
        )

    data = tmp_path / "data"
    with serving(
        dockerd.url, tmp_path, [name], "--data-dir", str(data), "--http-api-rate-limit", "600"
    ) as (_, base):
        browser.get(base + "/")
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "tr[data-name]"))
        wait.until(lambda _: browser.find_element(By.ID, "app").get_attribute("data-live") == "yes")
        wait.until(lambda _: approvals_text() == "No update waits for approval.")

        # A run the page did not start finds 1.1: the list follows it over the event stream.
        ran = requests.post(f"{base}/v1/update", headers=auth, timeout=120)
        assert ran.status_code == 200, ran.text
        assert docker_api.inspect_container(name)["Id"] == old
        (pending,) = requests.get(f"{base}/v1/approvals", headers=auth, timeout=30).json()[
            "approvals"
        ]
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, item))
        listed = browser.find_element(By.CSS_SELECTOR, item)
        assert listed.get_attribute("data-digest") == pending["digest"]
        assert f"{name} {reference} 1.0 \u2192 1.1 release notes" in listed.text
        notes = listed.find_element(By.CSS_SELECTOR, "a.notes")
        assert notes.get_attribute("href") == pending["notes"]
        wait.until(lambda _: "waits for approval of 1.1" in status_of())
        browser.save_screenshot(str(tmp_path / "approval.png"))

        # Approve, named by the container; the dialog starts on Cancel.
        browser.find_element(By.CSS_SELECTOR, f"button[aria-label='Approve {name}']").click()
        dialog = wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        assert f"{name} ({reference}): 1.0 \u2192 1.1, digest {pending['digest'][7:19]}" in (
            dialog.text
        )
        assert browser.switch_to.active_element.get_attribute("value") == "cancel"
        go = browser.find_element(By.ID, "plan-go")
        assert go.text == "Approve"
        browser.save_screenshot(str(tmp_path / "approve-dialog.png"))
        go.click()
        wait.until(lambda _: status_of().startswith("updated|updated"))
        events = browser.find_element(By.ID, "events").text
        assert "stopped" in events and "updated" in events
        wait.until(lambda _: approvals_text() == "No update waits for approval.")
        assert "1.1 approved; updated" in browser.find_element(By.ID, "message").text
        version = f"tr[data-name='{name}'] .image .version"
        wait.until(lambda _: browser.find_element(By.CSS_SELECTOR, version).text == "1.1")
        browser.save_screenshot(str(tmp_path / "approved.png"))
        decided = requests.get(f"{base}/v1/approvals?state=approved", headers=auth, timeout=30)
        assert [a["digest"] for a in decided.json()["approvals"]] == [pending["digest"]]

    assert docker_api.inspect_container(name)["Id"] != old
    for shot in ("approval.png", "approve-dialog.png", "approved.png"):
        assert (tmp_path / shot).stat().st_size > 10_000
    import os

    if os.environ.get("WATCHTOWER_SCREENSHOTS") == "1":
        for shot in ("approval.png", "approve-dialog.png"):
            shutil.copy(tmp_path / shot, DOCS_STATIC / shot)


def test_a_rejected_update_leaves_the_list_and_a_newer_push_is_listed_after_its_run(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """Reject, confirmed, keeps web as it is; the next run's events bring the newer push in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from watchtower.history import MemoryHistory, State
    from watchtower.labels import POLICY
    from watchtower.versions import VERSION

    registry.publish(WEB, labels={VERSION: "1.0"})
    engine.run("web", WEB, labels={POLICY: "approve"})
    image = engine.container("web").image_id
    registry.publish(WEB, labels={VERSION: "1.1"})
    runner = make_runner(engine, registry, clock)
    runner.history = MemoryHistory()
    runner.run()
    wait = WebDriverWait(browser, 30)

    def listed() -> list[str]:
        return list(
            browser.execute_script(
                "return [...document.querySelectorAll('#approvals li')].map((i) =>"
                " (i.dataset.digest || '') + '|' + (i.querySelector('.approval') || i).innerText);"
            )
        )

    with _page(browser, runner):
        wait.until(lambda _: len(listed()) == 1 and listed()[0].startswith("sha256:"))
        first = runner.history.approvals()[("", "web")].digest
        assert listed()[0].startswith(f"{first}|web example.org/web:1 1.0 \u2192 1.1")
        reject = browser.find_element(By.CSS_SELECTOR, "button[aria-label='Reject web']")
        assert reject.get_attribute("title") == "Keep web as it is; 1.1 is not asked for again"
        reject.click()
        dialog = wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        assert "This update is rejected" in dialog.text
        assert browser.switch_to.active_element.get_attribute("value") == "cancel"
        browser.find_element(By.ID, "plan-go").click()
        wait.until(lambda _: listed() == ["|No update waits for approval."])
        assert runner.history.approvals()[("", "web")].state is State.REJECTED
        assert engine.container("web").image_id == image
        assert "web: 1.1 rejected." in browser.find_element(By.ID, "message").text

        # A newer push, found by a run the page did not start: its events refresh the list.
        wait.until(lambda _: browser.find_element(By.ID, "app").get_attribute("data-live") == "yes")
        registry.publish(WEB, labels={VERSION: "1.2"})
        runner.run()
        second = runner.history.approvals()[("", "web")].digest
        assert second != first
        wait.until(lambda _: len(listed()) == 1 and listed()[0].startswith(f"{second}|"))
        assert "1.0 \u2192 1.2" in listed()[0]
    assert engine.container("web").image_id == image


def test_on_a_hosts_file_the_page_approves_the_update_of_one_host_alone(
    browser: Any, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """web waits on a and on b: Approve web on b posts b's host and digest; a's still waits."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from watchtower.history import MemoryHistory
    from watchtower.labels import POLICY
    from watchtower.versions import VERSION

    engines, fleet = _fleet(registry, "a unix:///a.sock\nb unix:///b.sock")
    a, b = engines["unix:///a.sock"], engines["unix:///b.sock"]
    registry.publish(WEB, labels={VERSION: "1.0"})
    for engine in (a, b):
        engine.run("web", WEB, labels={POLICY: "approve"})
    old = a.container("web").image_id
    registry.publish(WEB, labels={VERSION: "1.1"})
    runner = _runner(registry, fleet, clock)
    runner.history = MemoryHistory()
    runner.run()
    wait = WebDriverWait(browser, 30)

    def listed() -> list[str]:
        return list(
            browser.execute_script(
                "return [...document.querySelectorAll('#approvals li')].map((i) =>"
                " (i.dataset.host || '') + '|' + i.querySelector('.name').textContent);"
            )
        )

    def asked(host: str) -> bool:
        return bool(
            browser.execute_script(
                "return !!document.querySelector(`tr[data-host='${arguments[0]}'] .asked`);", host
            )
        )

    with _page(browser, runner):
        wait.until(lambda _: sorted(listed()) == ["a|web on a", "b|web on b"])
        wait.until(lambda _: asked("a") and asked("b"))
        browser.find_element(By.CSS_SELECTOR, "button[aria-label='Approve web on b']").click()
        dialog = wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        assert "web on b (example.org/web:1): 1.0 \u2192 1.1" in dialog.text
        browser.find_element(By.ID, "plan-go").click()
        wait.until(lambda _: listed() == ["a|web on a"])
        wait.until(lambda _: not asked("b"))
        assert asked("a")
    assert b.container("web").image_id != old
    assert a.container("web").image_id == old
    assert set(runner.history.approvals()) == {("a", "web"), ("b", "web")}
    assert runner.history.approvals()[("b", "web")].state.value == "approved"
    assert runner.history.approvals()[("a", "web")].state.value == "pending"
