"""robfig/cron's own tables, run against :func:`watchtower.cli.schedule.parse_schedule`.

The fork parses ``--schedule`` with robfig/cron and the options
``SecondOptional | Minute | Hour | Dom | Month | Dow | Descriptor``, in the
zone of ``TZ``; each case names its test in robfig/cron (commit bc59245).
Go's ``time.Local`` is UTC here. Where robfig checks an error's wording, we
check only that the expression is refused: the sentence is ours.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from watchtower.errors import ConfigurationError
from watchtower.schedules import _BOUNDS, Cron, Interval, _Bounds, _field_problem, parse_schedule


def _time(value: str) -> datetime:
    """robfig's getTime: Go's layouts, in Local (UTC here) unless a TZ= prefix or an offset."""
    zone: timezone | ZoneInfo = timezone.utc
    if value.startswith("TZ="):
        name, value = value.split()
        zone = ZoneInfo(name[3:])
    for layout in ("%a %b %d %H:%M %Y", "%a %b %d %H:%M:%S %Y"):
        try:
            return datetime.strptime(value, layout).replace(tzinfo=zone)
        except ValueError:
            pass
    parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    if isinstance(zone, ZoneInfo):
        return parsed.astimezone(zone)
    return parsed


# spec_test.go TestActivation: ParseStandard (five fields), Next(t - 1s) == t.
ACTIVATION = [
    ("Mon Jul 9 15:00 2012", "0/15 * * * *", True),
    ("Mon Jul 9 15:45 2012", "0/15 * * * *", True),
    ("Mon Jul 9 15:40 2012", "0/15 * * * *", False),
    ("Mon Jul 9 15:05 2012", "5/15 * * * *", True),
    ("Mon Jul 9 15:20 2012", "5/15 * * * *", True),
    ("Mon Jul 9 15:50 2012", "5/15 * * * *", True),
    ("Sun Jul 15 15:00 2012", "0/15 * * Jul *", True),
    ("Sun Jul 15 15:00 2012", "0/15 * * Jun *", False),
    ("Sun Jul 15 08:30 2012", "30 08 ? Jul Sun", True),
    ("Sun Jul 15 08:30 2012", "30 08 15 Jul ?", True),
    ("Mon Jul 16 08:30 2012", "30 08 ? Jul Sun", False),
    ("Mon Jul 16 08:30 2012", "30 08 15 Jul ?", False),
    ("Mon Jul 9 15:00 2012", "@hourly", True),
    ("Mon Jul 9 15:04 2012", "@hourly", False),
    ("Mon Jul 9 15:00 2012", "@daily", False),
    ("Mon Jul 9 00:00 2012", "@daily", True),
    ("Mon Jul 9 00:00 2012", "@weekly", False),
    ("Sun Jul 8 00:00 2012", "@weekly", True),
    ("Sun Jul 8 01:00 2012", "@weekly", False),
    ("Sun Jul 8 00:00 2012", "@monthly", False),
    ("Sun Jul 1 00:00 2012", "@monthly", True),
    ("Sun Jul 15 00:00 2012", "* * 1,15 * Sun", True),
    ("Fri Jun 15 00:00 2012", "* * 1,15 * Sun", True),
    ("Wed Aug 1 00:00 2012", "* * 1,15 * Sun", True),
    ("Sun Jul 15 00:00 2012", "* * */10 * Sun", True),
    ("Sun Jul 15 00:00 2012", "* * * * Mon", False),
    ("Mon Jul 9 00:00 2012", "* * 1,15 * *", False),
    ("Sun Jul 15 00:00 2012", "* * 1,15 * *", True),
    ("Sun Jul 15 00:00 2012", "* * */2 * Sun", True),
]


@pytest.mark.parametrize(("time", "spec", "expected"), ACTIVATION)
def test_activation(time: str, spec: str, expected: bool) -> None:
    """spec_test.go TestActivation."""
    moment = _time(time)
    actual = parse_schedule(spec).next_after(moment - timedelta(seconds=1))
    assert (actual == moment) is expected


# spec_test.go TestNext: the six-field parser, seconds first.
NEXT = [
    ("Mon Jul 9 14:45 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"),
    ("Mon Jul 9 14:59 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"),
    ("Mon Jul 9 14:59:59 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"),
    ("Mon Jul 9 15:45 2012", "0 20-35/15 * * * *", "Mon Jul 9 16:20 2012"),
    ("Mon Jul 9 23:46 2012", "0 */15 * * * *", "Tue Jul 10 00:00 2012"),
    ("Mon Jul 9 23:45 2012", "0 20-35/15 * * * *", "Tue Jul 10 00:20 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * * * *", "Tue Jul 10 00:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 * * *", "Tue Jul 10 01:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 10-12 * * *", "Tue Jul 10 10:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 */2 * *", "Thu Jul 11 01:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 * *", "Wed Jul 10 00:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 Jul *", "Wed Jul 10 00:20:15 2012"),
    ("Mon Jul 9 23:35 2012", "0 0 0 9 Apr-Oct ?", "Thu Aug 9 00:00 2012"),
    ("Mon Jul 9 23:35 2012", "0 0 0 */5 Apr,Aug,Oct Mon", "Tue Aug 1 00:00 2012"),
    ("Mon Jul 9 23:35 2012", "0 0 0 */5 Oct Mon", "Mon Oct 1 00:00 2012"),
    ("Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon", "Mon Feb 4 00:00 2013"),
    ("Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon/2", "Fri Feb 1 00:00 2013"),
    ("Mon Dec 31 23:59:45 2012", "0 * * * * *", "Tue Jan 1 00:00:00 2013"),
    ("Mon Jul 9 23:35 2012", "0 0 0 29 Feb ?", "Mon Feb 29 00:00 2016"),
    (
        "2012-03-11T00:00:00-0500",
        "TZ=America/New_York 0 30 2 11 Mar ?",
        "2013-03-11T02:30:00-0400",
    ),
    ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T01:00:00-0500"),
    ("2012-03-11T01:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T03:00:00-0400"),
    ("2012-03-11T03:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T04:00:00-0400"),
    ("2012-03-11T04:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T05:00:00-0400"),
    (
        "2012-03-11T00:00:00-0500",
        "CRON_TZ=America/New_York 0 0 * * * ?",
        "2012-03-11T01:00:00-0500",
    ),
    (
        "2012-03-11T01:00:00-0500",
        "CRON_TZ=America/New_York 0 0 * * * ?",
        "2012-03-11T03:00:00-0400",
    ),
    (
        "2012-03-11T03:00:00-0400",
        "CRON_TZ=America/New_York 0 0 * * * ?",
        "2012-03-11T04:00:00-0400",
    ),
    (
        "2012-03-11T04:00:00-0400",
        "CRON_TZ=America/New_York 0 0 * * * ?",
        "2012-03-11T05:00:00-0400",
    ),
    ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-03-11T01:00:00-0500"),
    ("2012-03-11T01:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-03-12T01:00:00-0400"),
    ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 2 * * ?", "2012-03-12T02:00:00-0400"),
    (
        "2012-11-04T00:00:00-0400",
        "TZ=America/New_York 0 30 2 04 Nov ?",
        "2012-11-04T02:30:00-0500",
    ),
    (
        "2012-11-04T01:45:00-0400",
        "TZ=America/New_York 0 30 1 04 Nov ?",
        "2012-11-04T01:30:00-0500",
    ),
    ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T01:00:00-0400"),
    ("2012-11-04T01:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T01:00:00-0500"),
    ("2012-11-04T01:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T02:00:00-0500"),
    ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 1 * * ?", "2012-11-04T01:00:00-0400"),
    ("2012-11-04T01:00:00-0400", "TZ=America/New_York 0 0 1 * * ?", "2012-11-04T01:00:00-0500"),
    ("2012-11-04T01:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-11-05T01:00:00-0500"),
    ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 2 * * ?", "2012-11-04T02:00:00-0500"),
    ("2012-11-04T02:00:00-0500", "TZ=America/New_York 0 0 2 * * ?", "2012-11-05T02:00:00-0500"),
    ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 3 * * ?", "2012-11-04T03:00:00-0500"),
    ("2012-11-04T03:00:00-0500", "TZ=America/New_York 0 0 3 * * ?", "2012-11-05T03:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0400"),
    ("TZ=America/New_York 2012-11-04T01:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T01:00:00-0500", "0 0 * * * ?", "2012-11-04T02:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0400"),
    ("TZ=America/New_York 2012-11-04T01:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T01:00:00-0500", "0 0 1 * * ?", "2012-11-05T01:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 2 * * ?", "2012-11-04T02:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T02:00:00-0500", "0 0 2 * * ?", "2012-11-05T02:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 3 * * ?", "2012-11-04T03:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T03:00:00-0500", "0 0 3 * * ?", "2012-11-05T03:00:00-0500"),
    ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 3 3 * ?", "2012-12-03T03:00:00-0500"),
    (
        "2018-10-17T05:00:00-0400",
        "TZ=America/Sao_Paulo 0 0 9 10 * ?",
        "2018-11-10T06:00:00-0500",
    ),
    (
        "2018-02-14T05:00:00-0500",
        "TZ=America/Sao_Paulo 0 0 9 22 * ?",
        "2018-02-22T07:00:00-0500",
    ),
]


@pytest.mark.parametrize(("time", "spec", "expected"), NEXT)
def test_next(time: str, spec: str, expected: str) -> None:
    """spec_test.go TestNext (its unsatisfiable cases are in test_unsatisfiable)."""
    actual = parse_schedule(spec).next_after(_time(time))
    # In UTC: datetimes in a repeated hour never compare equal across zones.
    assert actual.astimezone(timezone.utc) == _time(expected).astimezone(timezone.utc)


# spec_test.go TestNextWithTz: the moment's own offset is the zone.
NEXT_WITH_TZ = [
    ("2016-01-03T13:09:03+0530", "14 14 * * *", "2016-01-03T14:14:00+0530"),
    ("2016-01-03T04:09:03+0530", "14 14 * * ?", "2016-01-03T14:14:00+0530"),
    ("2016-01-03T14:09:03+0530", "14 14 * * *", "2016-01-03T14:14:00+0530"),
    ("2016-01-03T14:00:00+0530", "14 14 * * ?", "2016-01-03T14:14:00+0530"),
]


@pytest.mark.parametrize(("time", "spec", "expected"), NEXT_WITH_TZ)
def test_next_with_tz(time: str, spec: str, expected: str) -> None:
    """spec_test.go TestNextWithTz."""
    actual = parse_schedule(spec).next_after(_time(time))
    # In UTC: datetimes in a repeated hour never compare equal across zones.
    assert actual.astimezone(timezone.utc) == _time(expected).astimezone(timezone.utc)


# spec_test.go TestErrors, TestSlash0NoHang; parser_test.go TestParseScheduleErrors,
# TestStandardSpecSchedule (its errors).
REFUSED = [
    ("spec_test.go TestErrors", "xyz"),
    ("spec_test.go TestErrors", "60 0 * * *"),
    ("spec_test.go TestErrors", "0 60 * * *"),
    ("spec_test.go TestErrors", "0 0 * * XYZ"),
    ("spec_test.go TestSlash0NoHang", "TZ=America/New_York 15/0 * * * *"),
    ("parser_test.go TestParseScheduleErrors", "* 5 j * * *"),
    ("parser_test.go TestParseScheduleErrors", "@every Xm"),
    ("parser_test.go TestParseScheduleErrors", "@unrecognized"),
    ("parser_test.go TestParseScheduleErrors", "* * * *"),
    ("parser_test.go TestParseScheduleErrors", ""),
    ("parser_test.go TestStandardSpecSchedule", "5 j * * *"),
    ("parser_test.go TestStandardSpecSchedule", "* * * *"),
]


@pytest.mark.parametrize(("test", "spec"), REFUSED)
def test_refused(test: str, spec: str) -> None:
    with pytest.raises(ConfigurationError, match="--schedule"):
        parse_schedule(spec)


# parser_test.go TestRange: one range within bounds (min, max); the errors only,
# and that the good ones pass (the bit sets are robfig's own representation).
RANGES = [
    ("5", 0, 7, ""),
    ("0", 0, 7, ""),
    ("7", 0, 7, ""),
    ("5-5", 0, 7, ""),
    ("5-6", 0, 7, ""),
    ("5-7", 0, 7, ""),
    ("5-6/2", 0, 7, ""),
    ("5-7/2", 0, 7, ""),
    ("5-7/1", 0, 7, ""),
    ("*", 1, 3, ""),
    ("*/2", 1, 3, ""),
    ("5--5", 0, 0, "too many hyphens"),
    ("jan-x", 0, 0, "not a number"),
    ("2-x", 1, 5, "not a number"),
    ("*/-12", 0, 0, "positive number"),
    ("*//2", 0, 0, "too many slashes"),
    ("1", 3, 5, "below"),
    ("6", 3, 5, "above"),
    ("5-3", 3, 5, "begins after it ends"),
    ("*/0", 0, 0, "positive number"),
]


@pytest.mark.parametrize(("expr", "low", "high", "error"), RANGES)
def test_range(expr: str, low: int, high: int, error: str) -> None:
    problem = _field_problem(expr, _Bounds("test", low, high))
    assert (error in problem) if error else problem == ""


# parser_test.go TestField: lists of ranges.
@pytest.mark.parametrize("expr", ["5", "5,6", "5,6,7", "1,5-7/2,3"])
def test_field(expr: str) -> None:
    assert _field_problem(expr, _Bounds("test", 1, 7)) == ""


def test_the_fields_bounds_are_robfigs() -> None:
    """parser_test.go TestAll: the bounds of each field, seconds first."""
    assert [(b.low, b.high) for b in _BOUNDS] == [
        (0, 59),
        (0, 59),
        (0, 23),
        (1, 31),
        (1, 12),
        (0, 6),
    ]


# parser_test.go TestParseSchedule and TestOptionalSecondSchedule: what the expression
# means, as its zone and its next run after a fixed moment.
MOMENT = datetime(2026, 1, 1, 12, 30, tzinfo=timezone.utc)
TOKYO = ZoneInfo("Asia/Tokyo")
UTC = ZoneInfo("UTC")
PARSE = [
    ("0 5 * * * *", None, datetime(2026, 1, 1, 13, 5, tzinfo=timezone.utc)),
    ("5 * * * *", None, datetime(2026, 1, 1, 13, 5, tzinfo=timezone.utc)),
    ("CRON_TZ=UTC  0 5 * * * *", UTC, datetime(2026, 1, 1, 13, 5, tzinfo=timezone.utc)),
    ("CRON_TZ=UTC  5 * * * *", UTC, datetime(2026, 1, 1, 13, 5, tzinfo=timezone.utc)),
    ("CRON_TZ=Asia/Tokyo 0 5 * * * *", TOKYO, datetime(2026, 1, 1, 13, 5, tzinfo=timezone.utc)),
    ("@midnight", None, datetime(2026, 1, 2, tzinfo=timezone.utc)),
    ("TZ=UTC  @midnight", UTC, datetime(2026, 1, 2, tzinfo=timezone.utc)),
    ("TZ=Asia/Tokyo @midnight", TOKYO, datetime(2026, 1, 1, 15, tzinfo=timezone.utc)),
    ("@yearly", None, datetime(2027, 1, 1, tzinfo=timezone.utc)),
    ("@annually", None, datetime(2027, 1, 1, tzinfo=timezone.utc)),
    ("* 5 * * * *", None, datetime(2026, 1, 1, 13, 5, tzinfo=timezone.utc)),
    ("5 5 * * * *", None, datetime(2026, 1, 1, 13, 5, 5, tzinfo=timezone.utc)),
]


@pytest.mark.parametrize(("spec", "zone", "after"), PARSE)
def test_parse_schedule(spec: str, zone: ZoneInfo | None, after: datetime) -> None:
    schedule = parse_schedule(spec)
    assert isinstance(schedule, Cron)
    assert schedule.zone == zone
    assert schedule.next_after(MOMENT) == after


def test_every() -> None:
    """parser_test.go TestParseSchedule: ``@every 5m`` is a constant delay."""
    assert parse_schedule("@every 5m") == Interval(timedelta(minutes=5))
