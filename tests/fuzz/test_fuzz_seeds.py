"""The coverage-guided targets' seeds are valid inputs, and their dictionaries the parsers' tokens.

Seeds that a parser refused at its first character would leave atheris
where it starts without them; a dictionary token that no parser spells
any more would waste its mutations. Where atheris is installed (``nox -s
fuzz``), the harness itself is run over the seeds once and must load them
and the dictionary and reach more code than from nothing.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from watchtower.errors import WatchtowerError

from .seeds import CORPUS, DICTS, FROM_TABLES, dictionary, seeds, write_corpus
from .targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
_INITED = re.compile(rb"INITED cov: (\d+)")


def _nox_targets() -> list[str]:
    """The targets ``nox -s fuzz`` runs (noxfile.py's ``ATHERIS_TARGETS``)."""
    tree = ast.parse((ROOT / "noxfile.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "ATHERIS_TARGETS":
            return list(ast.literal_eval(node.value))
    raise AssertionError("noxfile.py has no ATHERIS_TARGETS")


def test_every_target_has_seeds_and_a_dictionary() -> None:
    assert _nox_targets() == list(TARGETS)
    assert set(FROM_TABLES) == set(TARGETS)
    assert {path.stem for path in DICTS.glob("*.dict")} == set(TARGETS)
    assert {path.name for path in CORPUS.iterdir()} <= set(TARGETS)


@pytest.mark.parametrize("name", TARGETS)
def test_every_seed_is_read_by_its_parser(name: str) -> None:
    found = seeds(name)
    assert len(found) >= 3, f"{name} has {len(found)} seeds"
    for seed in found:
        try:
            result = TARGETS[name].parse(seed)
        except (ValueError, WatchtowerError) as error:
            pytest.fail(f"{name} refuses its seed {seed[:80]!r}: {error}")
        assert result is not None, f"{name} cannot read its seed {seed[:80]!r}"


def _literals(module: str) -> list[bytes]:
    """Every string literal of the module's source: its tokens and patterns."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    return [
        node.value.encode("utf-8")
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@pytest.mark.parametrize("name", TARGETS)
def test_every_dictionary_token_is_spelled_by_the_grammar(name: str) -> None:
    literals = [text for module in TARGETS[name].grammar for text in _literals(module)]
    tokens = dictionary(name)
    assert len(tokens) == len(set(tokens)) >= 5
    stale = [token for token in tokens if not any(token in text for text in literals)]
    assert not stale, f"{name}.dict: no literal of {TARGETS[name].grammar} holds {stale}"


def test_a_malformed_dictionary_line_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.dict").write_text('# tokens\n"ok"\nkw="fine"\nbare\n', "ascii")
    monkeypatch.setattr("tests.fuzz.seeds.DICTS", tmp_path)
    with pytest.raises(ValueError, match=r"x\.dict:4 is not a quoted token"):
        dictionary("x")


def test_the_corpus_holds_each_seed_once_as_its_utf8_bytes(tmp_path: Path) -> None:
    folder = write_corpus("url", tmp_path / "url")
    written = {path.read_bytes().decode("utf-8") for path in folder.iterdir()}
    assert written == set(seeds("url"))


def _coverage(name: str, folder: Path, *flags: str) -> tuple[int, bytes]:
    """libFuzzer's coverage once the harness has run its starting corpus, and its output."""
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.atheris_targets", name, "-runs=0", str(folder), *flags],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=True,
    )
    found = _INITED.search(done.stderr)
    assert found is not None, done.stderr[-2000:]
    return int(found.group(1)), done.stderr


@pytest.mark.parametrize("name", TARGETS)
def test_the_seeds_take_atheris_past_the_first_byte(name: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris runs under nox -s fuzz where it installs")
    bare, _ = _coverage(name, tmp_path / "empty", "--no-seeds")
    seeded, output = _coverage(name, tmp_path / "seeded")
    assert f"Dictionary: {len(dictionary(name))} entries".encode() in output
    assert f"{len(seeds(name))} files found".encode() in output
    assert seeded > bare, f"{name}: coverage {seeded} from its seeds, {bare} from nothing"
