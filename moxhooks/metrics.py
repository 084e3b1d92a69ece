"""Prometheus metrics: one registry per app, filled by the workers, read at /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class LabelCounts(Collector):
    """A counter kept as a plain dict (labels -> count), exported as a Prometheus counter.

    For what is counted per webhook (prometheus_client's Counter takes a lock and
    looks its child up on every inc()), and for counts read from the database.
    """

    def __init__(self, name: str, documentation: str, labels: list[str]) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.counts: dict[tuple[str, ...], float] = {}

    def inc(self, *labels: str) -> None:
        self.counts[labels] = self.counts.get(labels, 0) + 1

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for labels, n in self.counts.items():
            family.add_metric(list(labels), n)
        yield family


class Metrics:
    """The metrics moxhooks exports."""

    def __init__(self) -> None:
        self._latency: dict[tuple[str, str], Histogram] = {}
        self.registry = CollectorRegistry()
        r = self.registry
        # Counted in the database (processed_counts), since the processor may run in
        # another process: read at scrape time.
        self.processed = LabelCounts(
            "moxhooks_events_processed",
            "Webhook events processed, by event, failure kind and decision.",
            ["account", "event", "kind", "decision"],
        )
        r.register(self.processed)
        self.webhooks = LabelCounts(
            "moxhooks_webhooks_received",
            "Webhook requests answered, by account and HTTP status.",
            ["account", "status"],
        )
        r.register(self.webhooks)
        self.suppressions = Gauge(
            "moxhooks_suppressions",
            "Active suppression entries, by account and kind; counted at most every "
            "web.suppression_counts_max_age (30s by default), so up to that old.",
            ["account", "kind"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "moxhooks_outbox_backlog", "Changes waiting to be pushed into mox.", registry=r
        )
        self.events_unresolved = Gauge(
            "moxhooks_events_unprocessed",
            "Events not processed yet: pending, or waiting for their recipient.",
            registry=r,
        )
        # Counted in the database too (sync_counts), for the same reason.
        self.sync_failures = LabelCounts(
            "moxhooks_sync_failures",
            "Failed attempts to push a change into mox or to reconcile with it.",
            ["account", "reason"],
        )
        r.register(self.sync_failures)
        self.sync_pushed = LabelCounts(
            "moxhooks_sync_pushed", "Changes pushed into mox, by operation.", ["account", "op"]
        )
        r.register(self.sync_pushed)
        self.latency = Histogram(
            "moxhooks_request_duration_seconds",
            "HTTP request latency, by route.",
            ["method", "route"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )

    def webhook_answered(self, account: str, status: int) -> None:
        """Count one webhook request."""
        self.webhooks.inc(account, str(status))

    def request_took(self, method: str, route: str, seconds: float) -> None:
        """Observe one HTTP request's latency (the child cached, as above)."""
        key = (method, route)
        child = self._latency.get(key)
        if child is None:
            child = self._latency[key] = self.latency.labels(method, route)
        child.observe(seconds)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
