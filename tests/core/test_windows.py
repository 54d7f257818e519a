"""Maintenance windows: the parser, and intervals that hold across daylight-saving changes."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.errors import ConfigurationError
from watchtower.windows import (
    Window,
    describe_opening,
    is_open,
    next_opening,
    parse_windows,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = timezone.utc
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
SAT, SUN = 5, 6


READABLE = [
    ("02:00/30m", time(2), 30 * MINUTE, set(range(7))),
    ("Sat 02:00/4h", time(2), 4 * HOUR, {SAT}),
    ("saturday 2:05/1h30m", time(2, 5), 90 * MINUTE, {SAT}),
    ("Mon-Fri 22:30/90m", time(22, 30), 90 * MINUTE, {0, 1, 2, 3, 4}),
    ("Fri-Mon 23:00/2h", time(23), 2 * HOUR, {4, 5, 6, 0}),
    ("Sun 00:00/2d", time(0), timedelta(days=2), {SUN}),
    ("  Sat   02:00/4h  ", time(2), 4 * HOUR, {SAT}),
]
"""Windows the parser reads, with what it reads (also the fuzz target's seeds)."""


class TestParse:
    """The written form: days, a start, a duration, a zone; several at once."""

    @pytest.mark.parametrize(("text", "start", "duration", "days"), READABLE)
    def test_one_window(self, text: str, start: time, duration: timedelta, days: set[int]) -> None:
        """A window is its days (every day without), its start and its duration."""
        (window,) = parse_windows(text)
        assert (window.start, window.duration, set(window.days)) == (start, duration, days)
        assert window.zone is None

    def test_several_windows_by_comma_or_semicolon(self) -> None:
        """Commas and semicolons both separate windows; a trailing one is harmless."""
        windows = parse_windows("Sat 02:00/4h, Sun 03:00/1h; 12:00/5m,")
        assert [w.text for w in windows] == ["Sat 02:00/4h", "Sun 03:00/1h", "12:00/5m"]

    def test_a_zone_holds_for_its_window_and_those_after(self) -> None:
        """``TZ=`` (or ``CRON_TZ=``) sets the zone from there on; before it the default holds."""
        first, second, third = parse_windows(
            "02:00/1h, TZ=Europe/Berlin Sat 02:00/4h, Sun 03:00/1h", zone=UTC
        )
        assert first.zone is UTC
        assert second.zone == BERLIN and third.zone == BERLIN
        (cron_tz,) = parse_windows("CRON_TZ=Europe/Berlin 02:00/1h")
        assert cron_tz.zone == BERLIN

    @pytest.mark.parametrize(
        ("text", "sentence"),
        [
            ("", "--window is empty; write a window as a start and a duration"),
            (" ; ", "--window is empty"),
            ("Sat", "--window 'Sat' has no duration; add one after a slash"),
            ("Sat 02:00", "--window 'Sat 02:00' has no duration"),
            ("Sut 02:00/4h", "'Sut' is not a day of the week (Mon to Sun)"),
            ("Mon-Fry 02:00/4h", "'Mon-Fry' is not a day of the week"),
            ("24:00/1h", "'24:00' is not a time of day such as 02:00 or 22:30."),
            ("02:60/1h", "'02:60' is not a time of day"),
            ("2h/02:00", "'2h' is not a time of day"),
            ("02:00/4", "'4' is not a duration such as 4h, 30m, 1h30m or 2d."),
            ("02:00/soon", "'soon' is not a duration"),
            ("02:00/30s", "--window '02:00/30s' must last at least one minute."),
            ("02:00/8d", "--window '02:00/8d' lasts longer than a week."),
            ("02:00/99999999999h", "lasts longer than a week."),
            ("TZ=Mars/Olympus 02:00/1h", "'Mars/Olympus' is not a known time zone."),
            ("on Sat 02:00/1h", "is not a window; write a start and a duration"),
            ("TZ=UTC", "--window 'TZ=UTC' is not a window"),
        ],
    )
    def test_bad_input_is_one_sentence_naming_it(self, text: str, sentence: str) -> None:
        """Each mistake is a ConfigurationError whose one sentence names the window."""
        with pytest.raises(ConfigurationError) as caught:
            parse_windows(text)
        message = str(caught.value)
        assert sentence in message
        assert message.count("\n") == 0 and message.endswith(".")

    def test_the_culprit_is_named_among_several(self) -> None:
        """Among several windows, the sentence names the bad one, after its source."""
        with pytest.raises(ConfigurationError, match=r"^label x 'Sun 3:00/1y': '1y'"):
            parse_windows("Sat 02:00/4h, Sun 3:00/1y", what="label x")

    def test_a_huge_value_is_shown_shortened(self) -> None:
        """A hostile value does not fill the sentence."""
        with pytest.raises(ConfigurationError) as caught:
            parse_windows("x" * 100_000 + " 02:00/1h")
        assert len(str(caught.value)) < 2000 and "(100000 characters)" in str(caught.value)


class TestOpenings:
    """When a window is open, and when it opens next."""

    def test_a_weekly_window_in_its_zone(self) -> None:
        """``Sat 02:00/4h`` in Berlin is open from 02:00 to 06:00 Berlin time, Saturdays."""
        (window,) = parse_windows("TZ=Europe/Berlin Sat 02:00/4h")
        saturday = datetime(2026, 12, 12, 2, 0, tzinfo=BERLIN)
        assert window.occurrence(saturday) == (saturday, saturday + 4 * HOUR)
        assert window.occurrence(saturday - MINUTE) is None
        assert window.occurrence(saturday + 4 * HOUR) is None
        # Asked in UTC, the answer is the same instant.
        friday_noon = datetime(2026, 12, 11, 12, 0, tzinfo=UTC)
        assert window.next_opening(friday_noon) == saturday
        assert window.next_opening(saturday) == saturday + timedelta(days=7)
        assert describe_opening(next_opening([window], friday_noon) or saturday) == (
            "Sat 2026-12-12 02:00 CET"
        )

    def test_a_window_past_midnight_belongs_to_its_start_day(self) -> None:
        """``Sat 23:00/3h`` is still open early on Sunday."""
        (window,) = parse_windows("Sat 23:00/3h", zone=UTC)
        assert window.occurrence(datetime(2026, 12, 13, 1, 30, tzinfo=UTC)) is not None
        assert window.occurrence(datetime(2026, 12, 14, 1, 30, tzinfo=UTC)) is None

    def test_without_a_zone_it_reads_the_moments(self) -> None:
        """A window with no zone reads the clock of the moment it is asked about."""
        (window,) = parse_windows("02:00/1h")
        # The same instant, read in two zones.
        assert not is_open([window], datetime(2026, 1, 1, 3, 30, tzinfo=BERLIN))
        assert is_open([window], datetime(2026, 1, 1, 2, 30, tzinfo=UTC))

    def test_no_windows_is_always_open(self) -> None:
        """Without windows a container may be replaced at any time."""
        assert is_open([], datetime(2026, 1, 1, tzinfo=UTC))
        assert next_opening([], datetime(2026, 1, 1, tzinfo=UTC)) is None

    def test_a_skipped_start_opens_as_late_as_the_change_moves_it(self) -> None:
        """02:30 on the night Berlin skips 02:00-03:00 opens at 03:30, and lasts its hour."""
        (window,) = parse_windows("TZ=Europe/Berlin 02:30/1h")
        opens = window.next_opening(datetime(2026, 3, 29, 0, 0, tzinfo=UTC))
        assert opens == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert opens.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
        assert window.occurrence(opens) == (opens, opens + HOUR)

    def test_a_repeated_start_opens_the_first_time(self) -> None:
        """02:30 on the night Berlin shows 02:00-03:00 twice opens at the first 02:30 only."""
        (window,) = parse_windows("TZ=Europe/Berlin 02:30/1h")
        opens = window.next_opening(datetime(2026, 10, 25, 0, 0, tzinfo=UTC))
        assert opens.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        # The second 02:30 (01:30 UTC) is inside the first occurrence's hour; at
        # 02:30 UTC (03:30 CET) it has closed: an hour of elapsed time.
        assert window.occurrence(datetime(2026, 10, 25, 1, 29, tzinfo=UTC)) is not None
        assert window.occurrence(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) is None

    def test_the_duration_is_elapsed_time(self) -> None:
        """``01:00/4h`` on the spring night closes at 06:00 by the clock: four real hours."""
        (window,) = parse_windows("TZ=Europe/Berlin 01:00/4h")
        opens = datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN)
        _, closes = window.occurrence(opens) or (None, None)
        assert closes is not None
        assert closes.astimezone(BERLIN).hour == 6
        assert closes - opens == 4 * HOUR

    def test_never_a_cron_matched_minute_by_minute(self) -> None:
        """``02:00/4h`` is open for the whole four hours, not a minute in each (drydock's bug)."""
        (window,) = parse_windows("02:00/4h", zone=UTC)
        start = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
        minutes = [start + n * MINUTE for n in range(-60, 5 * 60)]
        open_minutes = [m for m in minutes if window.occurrence(m) is not None]
        assert open_minutes == [start + n * MINUTE for n in range(4 * 60)]


# Zones with changes of an hour at night (Berlin, New York), half an hour
# (Lord Howe), at midnight (Santiago), and a southern-hemisphere one (Sydney).
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Australia/Sydney",
    "UTC",
]
# A few days around each zone's changes in 2026.
CHANGE_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 9, 6),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
]


@st.composite
def windows_near_a_change(draw: st.DrawFn) -> tuple[Window, datetime]:
    """One window in a zone with daylight saving, and a moment two days before a change."""
    zone = zoneinfo.ZoneInfo(draw(st.sampled_from(ZONES)))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 1, 15, 30, 45, 59])))
    # Up to 22 hours: consecutive openings never overlap, even on a 23-hour day.
    duration = draw(st.integers(1, 22 * 60)) * MINUTE
    day = draw(st.sampled_from(CHANGE_DAYS))
    begin = datetime.combine(day - timedelta(days=2), time(0), tzinfo=UTC)
    return Window(start, duration, days, zone), begin


@settings(max_examples=60, deadline=None)
@given(windows_near_a_change())
def test_each_occurrence_opens_once_and_closes_once(case: tuple[Window, datetime]) -> None:
    """Minute by minute through four days around a change, the window opens exactly at each
    opening and closes exactly a duration later; never any other time."""
    window, begin = case
    assert window.zone is not None
    minutes = [begin + n * MINUTE for n in range(4 * 24 * 60)]
    state = [window.occurrence(m) is not None for m in minutes]
    rises = [
        m for m, was, now in zip(minutes[1:], state, state[1:], strict=False) if now and not was
    ]
    falls = [
        m for m, was, now in zip(minutes[1:], state, state[1:], strict=False) if was and not now
    ]
    openings = []
    at = begin
    while (at := window.next_opening(at)) <= minutes[-1]:
        openings.append(at)
    local_days = {(begin + timedelta(days=n)).astimezone(window.zone).date() for n in range(-1, 6)}
    expected = sorted(
        opens
        for day in local_days
        if day.weekday() in window.days
        and begin < (opens := window.opening_on(day, window.zone)) <= minutes[-1]
    )
    assert rises == openings == expected
    closings = [o + window.duration for o in [*_open_at_begin(window, begin), *openings]]
    assert falls == [c for c in closings if begin < c <= minutes[-1]]


def _open_at_begin(window: Window, begin: datetime) -> list[datetime]:
    occurrence = window.occurrence(begin)
    return [occurrence[0]] if occurrence else []


@settings(max_examples=200, deadline=None)
@given(
    windows_near_a_change(),
    st.integers(0, 4 * 24 * 60 * 60),
)
def test_the_next_opening_is_open_and_nothing_opens_before_it(
    case: tuple[Window, datetime], offset: int
) -> None:
    """From any moment, the next opening is an opening, and no minute before it is open
    unless an occurrence already was."""
    window, begin = case
    moment = begin + timedelta(seconds=offset)
    opens = window.next_opening(moment)
    assert opens > moment
    assert window.occurrence(opens) == (opens, opens + window.duration)
    current = window.occurrence(moment)
    probe = moment
    while probe < opens:
        found = window.occurrence(probe)
        assert found is None or found == current
        probe += 17 * MINUTE
