"""The engine's times read by the snapshot finder: a table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from watchtower.docker.volumes import _engine_time

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-07T17:40:01Z", datetime(2026, 12, 7, 17, 40, 1, tzinfo=UTC)),
        # Docker gives nanoseconds: cut (never rounded up) to microseconds.
        ("2026-12-07T17:40:01.123456789Z", datetime(2026, 12, 7, 17, 40, 1, 123456, tzinfo=UTC)),
        ("2026-12-07T17:40:01.5Z", datetime(2026, 12, 7, 17, 40, 1, 500000, tzinfo=UTC)),
        (
            "2026-12-07T18:40:01+01:00",
            datetime(2026, 12, 7, 18, 40, 1, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("0001-01-01T00:00:00Z", None),  # a container that never started
        ("2026-12-07T17:40:01", None),  # no zone: not the engine's
        ("", None),
        ("yesterday", None),
    ],
)
def test_engine_times(text: str, expected: datetime | None) -> None:
    assert _engine_time(text) == expected
