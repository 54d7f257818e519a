"""The architecture page's map of rooms is the code's: imports run one way, down the list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.rst"
PACKAGE = ROOT / "watchtower"

# Modules that belong to a room named on another line of the map.
_PART_OF = {"_push_queue": "push", "service_plans": "plans", "__main__": "cli", "_version": ""}


def rooms() -> dict[str, int]:
    """Each room of the map and its depth: a room may import only deeper ones.

    The rooms named on one line (the ground) are one depth.
    """
    block = PAGE.read_text().split("The rooms", 1)[1].split("Where each rule lives", 1)[0]
    depth: dict[str, int] = {}
    lines = re.findall(r"^   (\S.*?)(?:\s{2,}|$)", block.split(".. code-block:: text", 1)[1], re.M)
    for level, line in enumerate(lines):
        for name in line.split():
            depth.setdefault(name.rstrip("/").split("/")[0], level)
    return depth


def room_of(module: str) -> str:
    top = module.split(".")[1] if "." in module else ""
    return _PART_OF.get(top, top)


def imports(path: Path, module: str) -> set[str]:
    """The package's modules ``path`` imports when it runs (not those for type checkers)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    checking = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for inner in branch.body
        for node in ast.walk(inner)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and id(node) not in checking:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            found.add(".".join([*base, node.module] if node.module else base))
    return found


def test_every_module_imports_only_rooms_below_its_own() -> None:
    depth = rooms()
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        own = room_of(module)
        if not own:
            continue
        assert own in depth, f"{module} is in no room of the architecture page"
        for target in imports(path, module):
            theirs = room_of(target)
            if theirs and theirs != own and depth[theirs] < depth[own]:
                wrong.append(f"{module} imports {target}, a room above its own")
    assert wrong == []


def test_the_fleet_is_a_room_between_the_runs_over_hosts_and_update() -> None:
    depth = rooms()
    assert depth["push"] < depth["hosts"] < depth["fleet"] < depth["orchestrator"]
