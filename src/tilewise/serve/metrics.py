"""Prometheus metrics for the server, in a registry of its own (one per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


class Metrics:
    def __init__(self, max_batch: int) -> None:
        self.registry = CollectorRegistry()
        model = ["model"]
        self.requests = Counter(
            "tilewise_requests", "Inference requests received", model, registry=self.registry
        )
        self.failures = Counter(
            "tilewise_request_failures",
            "Requests answered with an error",
            [*model, "status"],
            registry=self.registry,
        )
        self.queue_seconds = Histogram(
            "tilewise_queue_seconds",
            "Time a request waited before its first batch ran",
            model,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.compute_seconds = Histogram(
            "tilewise_compute_seconds",
            "Time one batch computed",
            model,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        sizes = sorted({1, 2, 4, 8, 16, 32, 64, max_batch})
        self.batch_size = Histogram(
            "tilewise_batch_size",
            "Images per batch",
            model,
            buckets=[s for s in sizes if s <= max_batch],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "tilewise_queue_depth", "Requests waiting", model, registry=self.registry
        )
