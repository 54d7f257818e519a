"""The status page's plan dialog, busy buttons, live mark and accessibility, in Chromium.

Against the in-memory engine and registry, served in-process (``_page`` of
:mod:`tests.cli.test_status_page`): the dialog is filled from ``POST
/v1/plan`` and carries out that plan less what was unchecked; axe-core finds
no serious or critical violation in light and dark, on a desktop and a phone.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.axe import Axe, emulate_colour_scheme
from tests.support.browser import DESKTOP, PHONE
from watchtower.cli.broadcast import MAX_SUBSCRIBERS
from watchtower.errors import RegistryError
from watchtower.events import Planned, Pulled, Pulling, RunFinished, RunStarted
from watchtower.labels import DEPENDS_ON, MONITOR_ONLY
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import DB, WEB, make_runner
from .test_status_page import _page

pytestmark = pytest.mark.e2e

APP = "example.org/app:1"
MON = "example.org/mon:1"
LOST = "example.org/lost:1"  # its registry fails every request: it cannot be checked

# The dialog as a person reads it: each section's heading and its entries' lines.
DIALOG = """
return [...document.querySelectorAll('#plan-body .plan-section')].map((s) => [
  s.querySelector('h3, summary').textContent,
  [...s.querySelectorAll('li')].map((li) => (li.classList.contains('moot') ? '~' : '') +
    li.querySelector('.who').textContent + (li.querySelector('.because') ?
      ' ' + li.querySelector('.because').textContent : '') +
    (li.querySelector('.reason:not(.because)') ? ' | ' +
      li.querySelector('.reason:not(.because)').textContent.split('\\n')[0] : ''))]);
"""


def _stack(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """db and web stale, app depending on db, mon monitor-only and stale, lost unchecked."""
    for image in (DB, APP, WEB, MON, LOST):
        registry.publish(image)
    engine.run("db", DB)
    engine.run("app", APP, labels={DEPENDS_ON: "db"})
    engine.run("web", WEB)
    engine.run("mon", MON, labels={MONITOR_ONLY: "true"})
    engine.run("lost", LOST)
    for image in (DB, WEB, MON):
        registry.publish(image)
    registry.fail(LOST, RegistryError("connection refused\n(the whole answer)"), times=1000)


def test_update_now_shows_the_servers_plan_and_carries_it_out_less_what_was_unchecked(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    _stack(engine, registry)
    old = {name: engine.container(name).image_id for name in ("db", "app", "web")}
    wait = WebDriverWait(browser, 30)

    def sections() -> list[Any]:
        return list(browser.execute_script(DIALOG))

    def box(name: str) -> Any:
        return browser.find_element(
            By.XPATH, f"//li[.//span[@class='who' and text()='{name}']]//input"
        )

    go = (By.ID, "plan-go")
    with _page(browser, make_runner(engine, registry, clock)):
        wait.until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, "tr[data-name]")) == 5)
        browser.find_element(By.ID, "update-all").click()
        wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        assert sections() == [
            ["Will be replaced (2)", ["db", "web"]],
            ["Restarted because they depend on a replaced one (1)", ["app because db"]],
            ["Left alone (1)", [sections()[2][1][0]]],
            ["Could not be checked (1)", [sections()[3][1][0]]],
        ]
        assert sections()[2][1][0].startswith("mon | ")
        assert "monitor" in sections()[2][1][0]
        assert sections()[3][1][0].startswith("lost | ")
        # The safe choice has the focus: Enter alone changes nothing.
        assert browser.switch_to.active_element.get_attribute("value") == "cancel"
        assert browser.find_element(*go).text == "Update (3)"
        # Planning checked them: lost's row says it could not be checked, the overview counts it.
        wait.until(lambda _: "could not be checked" in browser.find_element(By.ID, "overview").text)
        lost = browser.find_element(By.CSS_SELECTOR, "tr[data-name='lost']")
        assert lost.get_attribute("data-status") == "error"
        assert lost.find_element(By.CSS_SELECTOR, ".badge").text == "error"
        browser.save_screenshot(str(tmp_path / "plan-dialog.png"))
        assert (tmp_path / "plan-dialog.png").stat().st_size > 10_000

        # Leaving db out greys app's restart, which would no longer happen.
        box("db").click()
        assert [entry for _, entries in sections()[:2] for entry in entries] == [
            "db", "web", "~app because db"
        ]  # fmt: skip
        assert browser.find_element(*go).text == "Update (1)"
        box("db").click()
        box("web").click()
        assert browser.find_element(*go).text == "Update (2)"
        browser.find_element(*go).click()
        wait.until(lambda _: "db: updated" in browser.find_element(By.ID, "message").text)
        message = browser.find_element(By.ID, "message").text
        # The run's own counts: lost, which it could not check, counts as failed there.
        done = r"Done in \d+\.\d s: 1 updated, 1 restarted, 1 failed, \d+ skipped\.\n"
        assert re.match(done, message), message
        assert "\napp: restarted (it depends on db" in message
        assert message.endswith("\nweb: stale (left out)")
    assert engine.container("db").image_id != old["db"]
    assert engine.container("web").image_id == old["web"]


def test_a_run_going_on_disables_the_run_buttons_until_it_finishes(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    registry.publish(WEB)
    engine.run("web", WEB)
    wait = WebDriverWait(browser, 30)

    def enabled() -> list[bool]:
        return list(
            browser.execute_script(
                "return ['check-all', 'update-all'].map((id) => !document.getElementById(id)"
                ".disabled).concat([...document.querySelectorAll('tr[data-name] button')]"
                ".map((b) => !b.disabled));"
            )
        )

    with _page(browser, make_runner(engine, registry, clock)) as state:
        wait.until(lambda _: browser.find_element(By.ID, "app").get_attribute("data-live") == "yes")
        wait.until(lambda _: enabled() == [True] * 4)
        state.broadcaster.publish(RunStarted(at=clock()))
        wait.until(lambda _: enabled() == [False] * 4)
        assert browser.find_element(By.ID, "run-state").text == "running"
        # Said once, politely, in one line; the list itself is not a live region.
        last = browser.find_element(By.ID, "last-event")
        assert last.get_attribute("textContent").startswith("run started at ")
        # The check and pull phase says what it does while no container moves.
        said = lambda: str(last.get_attribute("textContent"))  # noqa: E731
        state.broadcaster.publish(Pulling(at=clock(), image=WEB, containers=("web",)))
        wait.until(lambda _: said().startswith(f"pulling {WEB} for web at "))
        state.broadcaster.publish(
            Pulled(
                at=clock(),
                image=WEB,
                image_id="sha256:" + "a" * 64,
                size=123_456_789,
                duration=timedelta(seconds=3),
                containers=("web",),
            )
        )
        wait.until(lambda _: said().startswith(f"pulled {WEB} (123 MB) at "))
        state.broadcaster.publish(
            Planned(
                at=clock(),
                containers=1,
                to_update=1,
                to_restart=0,
                fresh=0,
                stale=1,
                skipped=0,
                failed=0,
            )
        )
        wait.until(
            lambda _: said().startswith(
                "planned: 1 to update, 0 to restart, 0 up to date, 0 skipped"
            )
        )
        assert enabled() == [False] * 4
        state.broadcaster.publish(
            RunFinished(at=clock(), duration=timedelta(seconds=1), scanned=1, updated=0, failed=0)
        )
        wait.until(lambda _: enabled() == [True] * 4)
        assert browser.find_element(By.ID, "run-state").text == "idle"


def test_a_refused_event_stream_says_live_updates_are_off(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    registry.publish(WEB)
    engine.run("web", WEB)
    wait = WebDriverWait(browser, 30)
    with _page(browser, make_runner(engine, registry, clock)) as state:
        wait.until(lambda _: browser.find_element(By.ID, "live").text == "Live")
        # The other viewers take every stream the server serves; this page's goes too.
        taken = [state.broadcaster.subscribe() for _ in range(MAX_SUBSCRIBERS)]
        browser.refresh()
        wait.until(lambda _: browser.find_element(By.ID, "live").text == "Live updates off")
        note = browser.find_element(By.ID, "live-note")
        assert note.is_displayed()
        assert note.text.startswith(
            f"Live updates are off: the server refused the event stream (it serves at most"
            f" {MAX_SUBSCRIBERS} at once"
        )
        assert "the page refreshes every 30 s" in note.text
        assert browser.find_element(By.ID, "app").get_attribute("data-live") == "no"
        for subscription in taken:
            if subscription is not None:
                subscription.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_and_its_dialog_have_no_serious_accessibility_violation(
    browser: Any,
    axe: Axe,
    engine: MemoryEngine,
    registry: MemoryRegistry,
    clock: FixedClock,
    scheme: str,
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    _stack(engine, registry)
    wait = WebDriverWait(browser, 30)
    emulate_colour_scheme(browser, scheme)
    found: dict[str, list[Any]] = {}
    with _page(browser, make_runner(engine, registry, clock)):
        assert browser.execute_script(
            f"return matchMedia('(prefers-color-scheme: {scheme})').matches;"
        )
        # Every badge on show: a check finds stale, fresh and unchecked ones.
        browser.find_element(By.ID, "check-all").click()
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, ".badge.status-error"))
        for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            browser.set_window_size(*size)
            found[label] = axe(browser)
            browser.save_screenshot(str(tmp_path / f"{scheme}-{label}.png"))
        browser.find_element(By.ID, "update-all").click()
        wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "#plan-body li"))
        found["phone, the plan's dialog"] = axe(browser)
        browser.set_window_size(*DESKTOP)
        found["desktop, the plan's dialog"] = axe(browser)
        # The skip link leads to the containers.
        skip = browser.find_element(By.CSS_SELECTOR, "a.skip")
        assert skip.get_attribute("href").endswith("#containers-card")
        # Every row's buttons are named with their container.
        labels = browser.execute_script(
            "return [...document.querySelectorAll('tr[data-name=\"db\"] button')]"
            ".map((b) => b.getAttribute('aria-label'));"
        )
        assert labels == ["Check db", "Update db"]
        assert browser.find_element(By.ID, "events").get_attribute("aria-live") is None
    print(f"\naxe-core, {scheme}:", {where: len(v) for where, v in found.items()})
    assert found == {where: [] for where in found}, found


def test_a_plan_carried_out_meanwhile_is_refused_and_the_page_says_so(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    old = engine.container("web").image_id
    wait = WebDriverWait(browser, 30)
    with _page(browser, make_runner(engine, registry, clock)) as state:
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "tr[data-name]"))
        browser.find_element(By.CSS_SELECTOR, "button[aria-label='Update web']").click()
        wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        # Another tab carries the same plan out first.
        plan = browser.find_element(By.ID, "plan-body").get_attribute("data-plan")
        assert state.plans.take(plan, clock()) is not None
        browser.find_element(By.ID, "plan-go").click()
        wait.until(lambda _: "not carried out" in browser.find_element(By.ID, "message").text)
        assert browser.find_element(By.ID, "message").text == (
            "The plan was not carried out: that plan was already carried out; plan again."
        )
        assert not browser.find_element(By.ID, "update-all").get_attribute("disabled")
    assert engine.container("web").image_id == old


def test_a_broken_event_stream_says_reconnecting_then_off_when_refused(
    browser: Any, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    registry.publish(WEB)
    engine.run("web", WEB)
    wait = WebDriverWait(browser, 30, poll_frequency=0.2)

    def mark() -> str:
        return str(browser.find_element(By.ID, "live").text)

    with _page(browser, make_runner(engine, registry, clock)) as state:
        wait.until(lambda _: mark() == "Live")
        # The server stops streaming: the stream ends, the browser asks again in 3 s.
        state.broadcaster.close()
        wait.until(lambda _: mark() == "Reconnecting\u2026")
        assert browser.find_element(By.ID, "live-note").text.startswith(
            "Live updates are interrupted: reconnecting;"
        )
        # Asked again, it is refused: the page says so and reads the containers itself.
        wait.until(lambda _: mark() == "Live updates off")
        assert browser.find_element(By.ID, "app").get_attribute("data-live") == "no"
