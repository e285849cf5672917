"""Prometheus metrics of one process (``/metrics``), in a registry of its own."""

from __future__ import annotations

from typing import Any


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("flowctl_http_requests_total", "HTTP requests answered",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("flowctl_http_request_seconds", "Time to answer a request",
                                 ["route"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                          1, 2.5, 5))
        self.calls = Counter("flowctl_outgoing_calls_total", "Outgoing call attempts",
                             ["endpoint", "outcome"], registry=self.registry)
        self.timers = Counter("flowctl_timeouts_fired_total", "Timeouts fired",
                              registry=self.registry)
        self.outbox = Gauge("flowctl_outbox_pending", "Calls waiting in the outbox",
                            registry=self.registry)

        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def answered(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and observe its latency."""
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:  # labels() looks the child up under a lock: once per key
            children = (self.requests.labels(route, method, str(status)),
                        self.latency.labels(route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

