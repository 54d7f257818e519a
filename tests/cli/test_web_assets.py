"""The page's templates and assets ship in the wheel and load nothing from elsewhere."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "watchtower" / "cli" / "web"
ASSETS = sorted(p.relative_to(ROOT).as_posix() for p in WEB.rglob("*") if p.is_file())


def test_there_are_templates_and_assets() -> None:
    assert {Path(a).name for a in ASSETS} >= {
        "status.html", "login.html", "swagger.html", "status.js", "swagger.js", "status.css"
    }  # fmt: skip


@pytest.mark.parametrize("asset", ASSETS)
def test_no_asset_loads_anything_from_elsewhere(asset: str) -> None:
    text = (ROOT / asset).read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), asset
    assert not re.search(r"\b(fetch|EventSource)\([\"'`]https?:", text), asset


def test_the_wheel_ships_the_page(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path),
         str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert set(ASSETS) <= names
