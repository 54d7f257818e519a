"""The README's Python as a reader copies it: the in-memory example runs, the others compile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"^```python\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)


def test_the_readme_has_a_docker_and_an_in_memory_start() -> None:
    assert any("DockerClient.from_env()" in block for block in BLOCKS)
    assert any("MemoryEngine(registry)" in block for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.splitlines()[0][:40])
def test_each_python_block_compiles(block: str) -> None:
    compile(block, "README.md", "exec")


def test_the_in_memory_example_runs_as_written() -> None:
    (block,) = [b for b in BLOCKS if "MemoryEngine(registry)" in b]
    exec(compile(block, "README.md", "exec"), {})  # its own assert checks the update
