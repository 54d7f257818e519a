"""Prometheus metrics with the fork's names, on a registry of our own.

:class:`Metrics` keeps the gauges of the last scan, the counters since
start, the last scan for ``/v1/status`` and a bounded history for
``/v1/history``. It never touches prometheus-client's global registry, so
two instances (two tests, two embedded runners) do not collide.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from attrs import frozen

from ..clock import Clock, system_clock
from ..quota import QuotaBook
from ..report import Report

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

__all__ = ["HISTORY_SIZE", "Metrics", "Scan"]

#: How many scans ``/v1/history`` remembers, as the fork.
HISTORY_SIZE = 500


@frozen
class Scan:
    """The counts of one scan.

    Attributes:
        at: When it was recorded.
        scanned: Containers checked.
        updated: Containers updated.
        failed: Containers whose update failed, or whose check and pull both failed.
        restarted: Containers restarted because a dependency was updated.
        skipped: Containers skipped.
        deferred: Of the skipped, those the registry quota deferred to the
            next run (:attr:`Report.deferred <watchtower.report.Report.deferred>`).
    """

    at: datetime
    scanned: int
    updated: int
    failed: int
    restarted: int
    skipped: int
    deferred: int = 0

    @classmethod
    def of(cls, report: Report, at: datetime) -> Scan:
        """The counts of ``report``."""
        return cls(
            at,
            len(report.scanned),
            len(report.updated),
            len(report.failed),
            len(report.restarted),
            len(report.skipped),
            len(report.deferred),
        )

    def summary(self) -> dict[str, int]:
        """The counts as the API's ``summary`` object: the fork's five, and ``deferred``."""
        return {
            "scanned": self.scanned,
            "updated": self.updated,
            "failed": self.failed,
            "restarted": self.restarted,
            "skipped": self.skipped,
            "deferred": self.deferred,
        }

    def to_dict(self) -> dict[str, str | int]:
        """A history entry, as the fork writes it."""
        return {
            "timestamp": self.at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
            **self.summary(),
        }


_GAUGES = {
    "watchtower_containers_scanned": (
        "Number of containers scanned for changes by watchtower during the last scan"
    ),
    "watchtower_containers_updated": (
        "Number of containers updated by watchtower during the last scan"
    ),
    "watchtower_containers_failed": "Number of containers where update failed during the last scan",
    "watchtower_containers_restarted": (
        "Number of containers restarted due to linked dependencies during the last scan"
    ),
    "watchtower_containers_skipped": "Number of containers skipped during the last scan",
}
# Not in the fork, and one number for the scan whatever the hosts: containers whose
# tag rule found a newer tag (updated or not), and the last push-triggered scan's latency.
_NEW_TAG = "watchtower_containers_new_tag"
_PUSH_LATENCY = "watchtower_push_latency_seconds"
_SCAN_GAUGES = {
    _NEW_TAG: "Number of containers whose tag rule found a newer tag during the last scan",
    _PUSH_LATENCY: "Seconds from the registry's push to the end of the last push-triggered scan",
}
_COUNTERS = {
    "watchtower_containers_restarted_total": (
        "Total number of containers restarted due to linked dependencies"
    ),
    "watchtower_scans_total": "Number of scans since the watchtower started",
    "watchtower_scans_skipped_total": "Number of skipped scans since watchtower started",
    "watchtower_metrics_dropped_total": "Number of metrics dropped due to full channel",
    "watchtower_push_scans_total": "Number of scans that registry push events started",
    # Not in the fork either: the notification services that could not deliver a report.
    "watchtower_notifications_failed_total": (
        "Number of notification services that could not deliver a scan's report"
    ),
    # Nor this: containers whose check waited for the next scan, the scan's
    # share of its registry's request quota spent (--registry-quota-share).
    "watchtower_containers_deferred_total": (
        "Number of containers deferred to the next scan by the registry request quota"
    ),
}
# Ours, by registry: what its ratelimit headers last said (--registry-quota-share).
_QUOTA = {
    "watchtower_registry_quota_remaining": (
        "Requests the registry has left in its rate limit window, as its answers last said "
        "less what was spent since"
    ),
    "watchtower_registry_quota_limit": "Requests the registry allows per rate limit window",
}


def _by_host(report: Report, at: datetime) -> dict[str, Scan]:
    """The counts of each host a report's entries name (none for a one-engine run)."""
    hosts = sorted({e.host for e in report.entries if e.host})
    return {
        host: Scan.of(
            Report(
                entries=[e for e in report.entries if e.host == host],
                started_at=report.started_at,
                finished_at=report.finished_at,
            ),
            at,
        )
        for host in hosts
    }


class _Collector:
    # A collector of its own rather than prometheus-client's Gauge and
    # Counter: the fork has a gauge watchtower_containers_restarted next to
    # a counter watchtower_containers_restarted_total, which those classes
    # refuse to register together, and its counters have no _created series.
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily

        gauges, counters = self._metrics._snapshot()
        hosts = self._metrics.hosts
        for name, text in _GAUGES.items():
            if not hosts:
                yield GaugeMetricFamily(name, text, value=gauges[name])
                continue
            # A run over several engines: the total, and each host's under a host label.
            family = GaugeMetricFamily(name, text, labels=["host"])
            family.add_metric([], gauges[name])
            for host, scan in hosts.items():
                family.add_metric([host], scan.summary()[name.rpartition("_")[2]])
            yield family
        for name, text in _SCAN_GAUGES.items():
            yield GaugeMetricFamily(name, text, value=gauges.get(name, 0.0))
        for name, text in _COUNTERS.items():
            yield CounterMetricFamily(name, text, value=counters[name])
        quota = self._metrics.quota
        if quota:
            for index, (name, text) in enumerate(_QUOTA.items()):
                family = GaugeMetricFamily(name, text, labels=["registry"])
                for registry, values in sorted(quota.items()):
                    value = values[index]
                    if value is not None:
                        family.add_metric([registry], float(value))
                yield family


class Metrics:
    """The metrics of one watchtower process.

    Counting needs nothing but the standard library; prometheus-client is
    imported when the metrics are first exposed (or a registry is given), so
    a process that serves no metrics never loads it.

    Args:
        registry: The collector registry to register on; a new one, made
            when first needed, by default.
        clock: The current time, for history entries.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self._registry = registry
        self._registry_lock = threading.Lock()
        self._clock = clock
        self._lock = threading.Lock()
        self._last: Scan | None = None
        self._history: deque[Scan] = deque(maxlen=HISTORY_SIZE)
        self._gauges = dict.fromkeys(_GAUGES, 0.0)
        self._counters = dict.fromkeys(_COUNTERS, 0.0)
        self._hosts: dict[str, Scan] = {}
        self._quota: dict[str, tuple[int | None, int | None]] = {}
        if registry is not None:
            registry.register(_Collector(self))

    @property
    def registry(self) -> CollectorRegistry:
        """The collector registry these metrics are registered on."""
        # Not self._lock: registering collects once, and collecting takes it.
        with self._registry_lock:
            if self._registry is None:
                from prometheus_client import CollectorRegistry

                self._registry = CollectorRegistry()
                self._registry.register(_Collector(self))
            return self._registry

    def record(self, report: Report) -> Scan:
        """Count a finished scan."""
        scan = Scan.of(report, self._clock())
        hosts = _by_host(report, scan.at)
        with self._lock:
            self._hosts = hosts
            self._counters["watchtower_scans_total"] += 1
            self._counters["watchtower_containers_restarted_total"] += scan.restarted
            for name, value in scan.summary().items():
                if f"watchtower_containers_{name}" in _GAUGES:
                    self._gauges[f"watchtower_containers_{name}"] = float(value)
            self._counters["watchtower_notifications_failed_total"] += report.failed_notifications
            self._counters["watchtower_containers_deferred_total"] += scan.deferred
            moved = sum(1 for entry in report if entry.new_image)
            self._gauges[_NEW_TAG] = float(moved)
            if report.push_latency is not None:
                self._counters["watchtower_push_scans_total"] += 1
                self._gauges[_PUSH_LATENCY] = report.push_latency.total_seconds()
            self._last = scan
            self._history.append(scan)
        return scan

    def record_quota(self, book: QuotaBook) -> None:
        """Keep what each registry of ``book`` has left, and its limit, for the gauges."""
        quota: dict[str, tuple[int | None, int | None]] = {}
        for registry in book.registries():
            reading = book.reading(registry)
            quota[registry] = (book.left(registry), reading.limit if reading else None)
        with self._lock:
            self._quota = quota

    @property
    def quota(self) -> dict[str, tuple[int | None, int | None]]:
        """Each registry's requests left and its limit (``None``: not said), as last recorded."""
        with self._lock:
            return dict(self._quota)

    def record_skipped(self) -> None:
        """Count a scan that did not run because another was in progress."""
        with self._lock:
            self._counters["watchtower_scans_total"] += 1
            self._counters["watchtower_scans_skipped_total"] += 1
            self._gauges = dict.fromkeys(_GAUGES, 0.0)
            self._hosts = {}

    def value(self, name: str) -> float:
        """The current value of the metric called ``name``."""
        with self._lock:
            return self._gauges.get(name, self._counters.get(name, 0.0))

    def _snapshot(self) -> tuple[dict[str, float], dict[str, float]]:
        with self._lock:
            return dict(self._gauges), dict(self._counters)

    @property
    def hosts(self) -> dict[str, Scan]:
        """Each host's counts in the last scan, when it covered several engines; else empty."""
        with self._lock:
            return dict(self._hosts)

    @property
    def last(self) -> Scan | None:
        """The last recorded scan, if any."""
        with self._lock:
            return self._last

    def history(
        self, since: datetime | None = None, until: datetime | None = None, limit: int = 0
    ) -> list[Scan]:
        """Recorded scans, oldest first, within ``since`` and ``until``; the last ``limit``."""
        with self._lock:
            scans = [
                s
                for s in self._history
                if (since is None or s.at >= since) and (until is None or s.at <= until)
            ]
        if limit > 0:
            scans = scans[-limit:]
        return scans

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
