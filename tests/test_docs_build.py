"""The documentation, built as CI builds it, in headless Chromium at a desktop and a phone width.

The index must lead each kind of reader to their page in its first screen,
and the tables must keep identifiers whole: a flag or a variable cut in the
middle of a word (``WATCHTOWER_WARN_ON_HEAD_FAI`` / ``LURE``) cannot be read
or searched for. Screenshots of both pages are kept in the test's tmp_path.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

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
