"""The order of the suite's modules, for pytest-xdist's two workers (``-n 2 --dist loadfile``).

Each module runs whole on one worker, so that its own fixtures (a
registry, the docs build) start once; each worker has its own engines,
registries and names (:mod:`tests.support.e2e_fixtures`). A worker takes
the next module in collection order (``--no-loadscope-reorder``) when it is
free. The longest modules start first, one on each worker: the stress test,
which keeps every CPU busy, beside the image build, which waits on its
downloads. Then come the other end-to-end modules, and the many quick tests
fill in at the end, so that neither worker is left alone with a long one.
"""

from __future__ import annotations

import pytest

#: The modules that take longest (``--durations``), longest first.
FIRST = (
    "tests/docker/test_engine_safety_e2e.py",
    "tests/image/test_image_e2e.py",
    "tests/test_docs_build.py",
)


def module_of(item: pytest.Item) -> str:
    """The path of ``item``'s module, as in its node id."""
    return item.nodeid.split("::", 1)[0]


# First, before pytest groups the tests by their session-wide parameters
# (the engine), which keeps this order between the groups.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """:data:`FIRST`, then the modules with an end-to-end test, then the rest."""
    e2e = {module_of(item) for item in items if item.get_closest_marker("e2e")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        module = module_of(item)
        if module in FIRST:
            return (0, FIRST.index(module))
        return (1 if module in e2e else 2, 0)

    items.sort(key=rank)
