"""Coverage-guided fuzzing of the parsers with atheris, for ``nox -s fuzz``.

Run ``python -m tests.fuzz.atheris_targets TARGET -max_total_time=60`` from
the repository's root: the target (``targets.TARGETS``) gets atheris' bytes
as UTF-8 text, undecodable bytes kept as Python keeps them in ``argv``
(``surrogateescape``), and anything but its documented error is a crash
that atheris reports with the input that caused it. Unless told otherwise
(``-dict=``, ``--no-seeds``), it starts from the target's dictionary and
seed corpus (``seeds.py``): the seeds are written from the test tables into
the first corpus folder given, or else into ``watchtower-fuzz/TARGET`` in
the temporary folder, where libFuzzer also keeps what it finds (it ends
the process, so a folder of its own could not be removed). Not collected
by pytest (its name does not start with ``test_``).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["watchtower"]):
    from tests.fuzz.seeds import dictionary_path, write_corpus
    from tests.fuzz.targets import TARGETS
    from watchtower.errors import WatchtowerError


def main() -> None:
    name = sys.argv.pop(1)
    parse = TARGETS[name].parse

    def one(data: bytes) -> None:
        text = data.decode("utf-8", "surrogateescape")
        with contextlib.suppress(ValueError, WatchtowerError):
            parse(text)  # the documented errors; anything else is a finding

    argv = [arg for arg in sys.argv if arg != "--no-seeds"]
    if argv == sys.argv:
        if not any(arg.startswith("-dict=") for arg in argv[1:]):
            argv.append(f"-dict={dictionary_path(name)}")
        folders = [arg for arg in argv[1:] if not arg.startswith("-")]
        if not folders:  # libFuzzer keeps what it finds in the first folder
            folders = [str(Path(tempfile.gettempdir(), "watchtower-fuzz", name))]
            argv.append(folders[0])
        if not Path(folders[0]).is_file():  # a file is one input to run again
            write_corpus(name, Path(folders[0]))
    atheris.Setup(argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
