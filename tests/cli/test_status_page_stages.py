"""The status page shows canary stages and deferred checks, in Chromium.

A fleet of two in-memory engines served in-process (``_page`` of
:mod:`tests.cli.test_status_page`): ``c`` is a canary host, ``a`` is not.
A new ``web`` waits for the canaries on ``a``: the plan's dialog and ``a``'s
row show a ``canary`` badge with the reason, the counts say one waits, and
it is not among those to be replaced; once the canary ran it for the soak
time, it is promoted. Containers the registry quota deferred are their own
count in the overview, the history and a run's outcome. axe-core finds no
serious or critical violation, light and dark, desktop and phone, and the
badges keep a contrast of 4.5:1 at least.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from tests.support.axe import Axe, emulate_colour_scheme
from tests.support.browser import DESKTOP, PHONE
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.fleet import Fleet, Host
from watchtower.history import MemoryHistory
from watchtower.params import UpdateParams
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import DB, WEB
from .test_deferred_counts import _runner as quota_runner
from .test_status_page import _page
from .test_status_page_plan import DIALOG

pytestmark = pytest.mark.e2e

# Each element's text colour and the first opaque background behind it, as RGBA lists.
COLOURS = """
const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
const behind = (node) => {
  for (; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour.length === 3 || colour[3] > 0) return colour;
  }
  return [255, 255, 255];
};
return [...document.querySelectorAll(arguments[0])].filter((n) => n.offsetParent)
  .map((n) => [n.textContent, rgba(getComputedStyle(n).color), behind(n)]);
"""


def _luminance(rgb: list[float]) -> float:
    def linear(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: list[float], second: list[float]) -> float:
    """The WCAG contrast ratio of two opaque colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_ratio_is_wcags() -> None:
    assert contrast([255, 255, 255], [0, 0, 0]) == pytest.approx(21)
    assert contrast([118, 118, 118], [255, 255, 255]) == pytest.approx(4.54, abs=0.01)
    assert contrast([10, 10, 10], [10, 10, 10]) == 1


def _canary_fleet(registry: MemoryRegistry, clock: FixedClock) -> Runner:
    """web on a and on the canary c, db on a alone; a new web and a new db are published."""
    a, c = MemoryEngine(registry), MemoryEngine(registry)
    registry.publish(WEB)
    registry.publish(DB)
    a.run("web", WEB)
    a.run("db", DB)
    c.run("web", WEB)
    registry.publish(WEB)
    registry.publish(DB)
    return Runner(
        Fleet((Host.of("a", a), Host.of("c", c, canary=True))),
        registry,
        UpdateParams(canary_soak=timedelta(minutes=30)),
        metrics=Metrics(clock=clock),
        logger=logging.getLogger("watchtower.test"),
        clock=clock,
        history=MemoryHistory(clock=clock),
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_entry_waiting_for_the_canaries_shows_its_badge_and_is_not_replaced(
    browser: Any, axe: Axe, registry: MemoryRegistry, clock: FixedClock, scheme: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    runner = _canary_fleet(registry, clock)
    wait = WebDriverWait(browser, 30)
    emulate_colour_scheme(browser, scheme)
    found: dict[str, list[Any]] = {}

    def sections() -> list[Any]:
        return list(browser.execute_script(DIALOG))

    def row(host: str, name: str) -> Any:
        return browser.find_element(
            By.CSS_SELECTOR, f"#hosts section[data-host='{host}'] tr[data-name='{name}']"
        )

    def ratios(selector: str) -> dict[str, float]:
        shown = browser.execute_script(COLOURS, selector)
        return {f"{text} {i}": contrast(fg, bg) for i, (text, fg, bg) in enumerate(shown)}

    def plan() -> None:
        # The buttons are disabled while the page waits for an answer (a run's, say).
        wait.until(lambda _: browser.find_element(By.ID, "update-all").is_enabled())
        browser.find_element(By.ID, "update-all").click()
        wait.until(ready.visibility_of_element_located((By.ID, "plan")))
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "#plan-body li"))

    with _page(browser, runner):
        wait.until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, "tr[data-name]")) == 3)
        plan()
        listed = sections()
        assert [(title, [line.split(" | ")[0] for line in lines]) for title, lines in listed] == [
            ("Will be replaced (2)", ["db on a", "web on c"]),
            ("Left alone (1)", ["web on a"]),
        ]
        assert listed[1][1][0].startswith("web on a | waits for the canaries: sha256:")
        assert "is on no canary yet" in listed[1][1][0]
        waiting = browser.find_element(By.CSS_SELECTOR, "#plan-body li[data-key='a/web']")
        assert waiting.find_element(By.CSS_SELECTOR, ".badge.stage-canary").text == "canary"
        assert not waiting.find_elements(By.CSS_SELECTOR, "input")  # nothing to leave out
        counted = browser.find_element(By.CSS_SELECTOR, "#plan-body .plan-waits").text
        assert counted == "Not now: 1 waits for the canaries."
        assert browser.find_element(By.ID, "plan-go").text == "Update (2)"
        found["phone, the plan's dialog"] = axe(browser)
        browser.set_window_size(*DESKTOP)
        found["desktop, the plan's dialog"] = axe(browser)
        dialog_badges = ratios("#plan-body .stage-canary")
        # Planning checked them: a's row says canary, the overview counts it.
        wait.until(
            lambda _: "1 waits for the canaries" in browser.find_element(By.ID, "overview").text
        )
        assert row("a", "web").get_attribute("data-stage") == "canary"
        assert row("a", "web").find_element(By.CSS_SELECTOR, ".badge").text == "canary"
        assert (
            "waits for the canaries"
            in row("a", "web").find_element(By.CSS_SELECTOR, ".status").text
        )
        assert row("c", "web").find_element(By.CSS_SELECTOR, ".badge").text == "stale"
        row_badges = ratios("tr .badge")

        # Carried out: the canary and db are replaced, a's web waits.
        browser.find_element(By.ID, "plan-go").click()
        wait.until(lambda _: "Done" in browser.find_element(By.ID, "message").text)
        message = browser.find_element(By.ID, "message").text
        assert "2 updated" in message and "web on a" not in message
        for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            browser.set_window_size(*size)
            found[label] = axe(browser)

        # After the soak, the image is promoted: replaced on a too, with its mark.
        clock.advance(timedelta(minutes=31))
        browser.set_window_size(*DESKTOP)
        plan()
        title, lines = sections()[0]
        assert (title, [line.split(" | ")[0] for line in lines]) == (
            "Will be replaced (1)",
            ["web on a"],
        )
        promoted = browser.find_element(By.CSS_SELECTOR, "#plan-body li[data-key='a/web']")
        assert promoted.find_element(By.CSS_SELECTOR, ".stage-promoted").text == "promoted"
        assert not browser.find_elements(By.CSS_SELECTOR, "#plan-body .plan-waits")
        found["desktop, the promoted plan"] = axe(browser)
        marks = ratios("#plan-body .stage-promoted")
        wait.until(lambda _: row("a", "web").find_elements(By.CSS_SELECTOR, ".stage-promoted"))
        assert row("a", "web").find_element(By.CSS_SELECTOR, ".badge").text == "stale"
        marks.update(ratios("tr .stage-promoted"))

    assert found == {where: [] for where in found}, found
    assert dialog_badges and marks and len(row_badges) == 3
    low = {
        text: ratio
        for text, ratio in {**dialog_badges, **row_badges, **marks}.items()
        if ratio < 4.5
    }
    assert low == {}, low


def test_the_overview_and_the_history_count_the_containers_the_quota_deferred(
    browser: Any,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    runner = quota_runner(20)
    wait = WebDriverWait(browser, 30)
    with _page(browser, runner):
        wait.until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, "tr[data-name]")) == 20)
        runner.run()  # the page follows it live, and reads the containers again at its end
        wait.until(
            lambda _: (
                "14 deferred to the next run: registry quota"
                in browser.find_element(By.ID, "overview").text
            )
        )
        overview = browser.find_element(By.ID, "overview").text
        assert overview.startswith("20 containers: 14 deferred to the next run: registry quota")
        deferred = browser.find_elements(By.CSS_SELECTOR, "tr[data-deferred='yes']")
        assert len(deferred) == 14
        assert {r.find_element(By.CSS_SELECTOR, ".badge").text for r in deferred} == {"deferred"}
        assert "registry quota: deferred to the next run" in deferred[0].text
        wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "#history tbody tr td"))
        cells = browser.find_elements(By.CSS_SELECTOR, "#history tbody tr:first-child td")
        assert [c.text for c in cells[1:]] == ["6", "6", "0", "0", "14 (14 deferred)"]
