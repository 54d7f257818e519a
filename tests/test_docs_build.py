"""The documentation, built as CI builds it, in headless Chromium at a desktop and a phone width.

The index must lead each kind of reader to their page in its first screen,
and the tables must keep identifiers whole: a flag or a variable cut in the
middle of a word (``WATCHTOWER_WARN_ON_HEAD_FAI`` / ``LURE``) cannot be read
or searched for. Screenshots of both pages are kept in the test's tmp_path.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import DESKTOP, PHONE

DOCS = Path(__file__).resolve().parents[1] / "docs"
SIZES = {"desktop": DESKTOP, "phone": PHONE}

#: Where the index sends each kind of reader: the end of the link's address.
GUIDES = {
    "a program that imports watchtower": "install.html#library-quick-start",
    "a Watchtower user on the command line": "guides/migration.html",
    "a runner of the container image": "install.html#container-image",
}

# The addresses of the links of the page's own text (not its table of contents)
# that are whole in the viewport.
FIRST_SCREEN_LINKS = """
const links = document.querySelectorAll("[role=main] a[href]:not(.toctree-wrapper a)");
return [...links].filter(a => {
  const r = a.getBoundingClientRect();
  return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
}).map(a => a.href);
"""

# Each place where a literal in a table is cut across lines other than after a
# separator, and each literal that runs out of its cell.
CUT_LITERALS = """
// A line may end after a space, or after a separator that ends a word.
const BREAKABLE = /(\\s|[A-Za-z0-9\\/][_\\-\\/.])$/;
const faults = [];
for (const code of document.querySelectorAll("table code.literal")) {
  const cell = code.closest("td, th").getBoundingClientRect();
  const box = code.getBoundingClientRect();
  if (box.left < cell.left - 1 || box.right > cell.right + 1) {
    faults.push(`${code.textContent} runs out of its cell`);
  }
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  let above = null, read = "";
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      // A space where a line ends has no box; it is read all the same.
      const here = range.getClientRects()[0];
      if (here && above && here.top > above.top + above.height / 2 && !BREAKABLE.test(read)) {
        faults.push(`${code.textContent} is cut after ${read}`);
      }
      if (here) above = here;
      read += node.data[i];
    }
  }
}
return faults;
"""


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML docs, built as ``.ci/run`` builds them: any warning fails the build."""
    out = tmp_path_factory.mktemp("docs") / "html"
    command = [sys.executable, "-m", "sphinx", "-n", "-W", "--keep-going", "-q"]
    result = subprocess.run(
        [*command, "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.e2e
@pytest.mark.parametrize("size", SIZES)
def test_the_index_leads_each_kind_of_reader_to_their_page_in_its_first_screen(
    browser: Any, built_docs: Path, tmp_path: Path, size: str
) -> None:
    browser.set_window_size(*SIZES[size])
    browser.get((built_docs / "index.html").as_uri())
    links = browser.execute_script(FIRST_SCREEN_LINKS)
    browser.save_screenshot(str(tmp_path / f"index-{size}.png"))

    missing = {who for who, page in GUIDES.items() if not any(h.endswith(page) for h in links)}
    assert not missing, f"no link in the first screen for {sorted(missing)}; links: {links}"
    assert (tmp_path / f"index-{size}.png").stat().st_size > 10_000


@pytest.mark.e2e
@pytest.mark.parametrize("size", SIZES)
def test_the_migration_tables_keep_identifiers_whole(
    browser: Any, built_docs: Path, tmp_path: Path, size: str
) -> None:
    browser.set_window_size(*SIZES[size])
    browser.get((built_docs / "guides" / "migration.html").as_uri())
    # The first table is the flags': from --host to the notification flags.
    assert browser.execute_script("return document.querySelectorAll('table').length") == 3
    assert "WATCHTOWER_WARN_ON_HEAD_FAILURE" in browser.execute_script(
        "return document.querySelector('table').textContent"
    )
    # The table's head just below furo's bar; instantly, or the shot catches a smooth scroll.
    browser.execute_script(
        "const top = document.querySelector('table').getBoundingClientRect().top;"
        "window.scrollTo({top: window.scrollY + top - 64, behavior: 'instant'});"
    )
    browser.save_screenshot(str(tmp_path / f"migration-{size}.png"))

    faults = browser.execute_script(CUT_LITERALS)
    assert faults == []
    assert (tmp_path / f"migration-{size}.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def breakable_literals() -> Callable[[str], str]:
    """``_breakable_literals`` of docs/conf.py, loaded without leaving conf.py's path behind."""
    spec = importlib.util.spec_from_file_location("docs_conf", DOCS / "conf.py")
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    path = list(sys.path)
    try:
        spec.loader.exec_module(conf)
    finally:
        sys.path[:] = path
    return conf._breakable_literals  # type: ignore[no-any-return]


def _cell(*words: str) -> str:
    pres = " ".join(f'<span class="pre">{word}</span>' for word in words)
    return f'<table><tr><td><code class="docutils literal">{pres}</code></td></tr></table>'


@pytest.mark.parametrize(
    ("words", "pieces"),
    [
        (["WATCHTOWER_WARN_ON"], ["WATCHTOWER_", "WARN_", "ON"]),
        (["unix:///var/run/docker.sock"], ["unix:///", "var/", "run/", "docker.", "sock"]),
        (["--warn-on-head-failure"], ["--warn-", "on-", "head-", "failure"]),
        # A leading dash or a short flag is no word boundary.
        (["--host"], ["--host"]),
        (["-S"], ["-S"]),
        (["TLS1.2"], ["TLS1.2"]),
        (["TLS_1_2"], ["TLS_1_2"]),
        (["&lt;name&gt;_x"], ["&lt;name&gt;_x"]),
        (["GET", "/v1/update"], ["GET", "/v1/", "update"]),
    ],
)
def test_a_literal_in_a_table_breaks_after_its_separators_only(
    breakable_literals: Callable[[str], str], words: list[str], pieces: list[str]
) -> None:
    html = breakable_literals(_cell(*words))
    spans = html.split("<code")[1].split("</code>")[0]
    assert [p.rpartition(">")[2] for p in spans.split("</span>")[:-1]] == pieces
    assert html.count("<wbr>") == len(pieces) - len(words)


def test_a_literal_outside_a_table_is_left_alone(
    breakable_literals: Callable[[str], str],
) -> None:
    prose = '<p><code class="docutils literal"><span class="pre">WATCHTOWER_X</span></code></p>'
    broken = '<span class="pre">A_</span><wbr><span class="pre">B</span>'
    table = _cell("A_B").replace('<span class="pre">A_B</span>', broken)
    assert breakable_literals(prose + _cell("A_B") + prose) == prose + table + prose
