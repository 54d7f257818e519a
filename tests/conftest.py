"""The shared fixtures, each family in its own module under tests/support/.

tests/ mirrors the package: core/, docker/, registry/, notify/ and cli/, with
the package-wide checks (imports, examples) at the top.
"""

pytest_plugins = [
    "tests.support.memory_fixtures",
    "tests.support.e2e_fixtures",
    "tests.support.registry_fixtures",
    "tests.support.swarm_fixtures",
    "tests.support.podman_fixtures",
]
