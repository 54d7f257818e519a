"""The fuzz suite's budget: 300 inputs per property in CI, far more under ``nox -s fuzz``.

``WATCHTOWER_FUZZ_EXAMPLES`` sets the inputs per property (``nox -s fuzz``
sets 5000); the default keeps the whole folder well under three minutes on
two cores.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = settings(
    max_examples=int(os.environ.get("WATCHTOWER_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
"""The settings each property of this folder runs with."""
