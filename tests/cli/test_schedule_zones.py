"""Schedules in a time zone: ``TZ``, ``CRON_TZ=`` prefixes, and ranges robfig/cron refuses."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from watchtower.cli.config import load
from watchtower.cli.schedule import Cron, parse_schedule
from watchtower.errors import ConfigurationError

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
BERLIN = ZoneInfo("Europe/Berlin")


def test_tz_sets_the_zone_of_the_schedule() -> None:
    config = load(["--schedule", "0 0 4 * * *"], {"TZ": "Europe/Berlin"})
    assert isinstance(config.schedule, Cron)
    when = config.schedule.next_after(NOW)
    assert when == datetime(2026, 7, 2, 4, 0, tzinfo=BERLIN)
    assert when.astimezone(timezone.utc) == datetime(2026, 7, 2, 2, 0, tzinfo=timezone.utc)


def test_without_tz_a_schedule_reads_utc() -> None:
    config = load(["--schedule", "0 0 4 * * *"], {})
    assert config.schedule.next_after(NOW) == datetime(2026, 7, 2, 4, 0, tzinfo=timezone.utc)


def test_an_unknown_tz_reads_utc_with_a_warning() -> None:
    config = load(["--schedule", "0 0 4 * * *"], {"TZ": "Mars/Olympus"})
    assert config.schedule.next_after(NOW) == datetime(2026, 7, 2, 4, 0, tzinfo=timezone.utc)
    assert config.warnings == ("TZ: 'Mars/Olympus' is not a known time zone. Schedules read UTC.",)


@pytest.mark.parametrize("prefix", ["CRON_TZ=Europe/Berlin", "TZ=Europe/Berlin"])
def test_a_zone_prefix_wins_over_tz(prefix: str) -> None:
    config = load(["--schedule", f"{prefix} 0 0 4 * * *"], {"TZ": "Asia/Tokyo"})
    assert config.schedule.next_after(NOW) == datetime(2026, 7, 2, 4, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 0 5-3 * * *", "--schedule '0 0 5-3 * * *': the hour range '5-3' begins after it ends."),
        ("0 0 0 * * FRI-MON", "the day of week range 'FRI-MON' begins after it ends"),
        ("0 0 0 * * 7", "the day of week range '7' ends above 6"),
        ("0 0 0 L * *", "'L' is not a number or name of the day of month field"),
        # Digits to str.isdigit that int() refuses.
        ("①0 0 4 * * *", "'①0' is not a number or name of the second field"),
        ("*/① * * * * *", "the step of '*/①' must be a positive number"),
        (
            "CRON_TZ=Nowhere/Land 0 0 4 * * *",
            "0 0 4 * * *': 'Nowhere/Land' is not a known time zone.",
        ),
        # A folder of the zone database, and a name longer than a file's.
        ("CRON_TZ=America 0 0 4 * * *", "'America' is not a known time zone."),
        ("TZ=" + "a" * 300 + " 0 0 4 * * *", "aaa' is not a known time zone."),
    ],
)
def test_what_robfig_refuses_is_refused(expression: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_schedule(expression)
    assert message in str(caught.value)
