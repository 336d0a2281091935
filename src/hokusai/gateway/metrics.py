"""Prometheus metrics of the gateway, served at ``/metrics`` in the text format.

- ``hokusai_gateway_requests_total{route,method,status}``: requests answered, by MLflow
  route *template* (``/api/2.0/mlflow/runs/get``,
  ``/api/2.0/mlflow-artifacts/artifacts/<path:artifact_path>``…; ``unmatched`` for
  paths that are no MLflow route), so the label set stays bounded.
- ``hokusai_gateway_request_duration_seconds{route,method}``: latency histogram.
- ``hokusai_gateway_upstream_errors_total{kind}``: ``unreachable``, ``timeout``,
  ``disconnected``, ``aborted`` (MLflow broke off mid-response).
- ``hokusai_gateway_auth_failures_total{reason}``: ``missing``, ``unknown``,
  ``revoked``, ``expired``, ``scope``, ``malformed``, ``duplicate``, ``conflict``…

With several uvicorn workers each worker counts on its own; ``hokusai gateway serve
--workers N`` then points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory and every
worker's ``/metrics`` answers the sum over all workers (prometheus-client's
multiprocess mode). With one worker the numbers live in memory.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# `*_created` timestamps double the output and no dashboard of ours reads them.
disable_created_metrics()

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class Metrics:
    """The gateway's counters and histogram, in a registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hokusai_gateway_requests",
            "Requests answered by the gateway, by MLflow route template, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "hokusai_gateway_request_duration_seconds",
            "Time from request to the end of the response, by route template and method.",
            ("route", "method"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "hokusai_gateway_upstream_errors",
            "Requests MLflow did not answer: unreachable, timeout, disconnected, aborted.",
            ("kind",),
            registry=self.registry,
        )
        self.auth_failures = Counter(
            "hokusai_gateway_auth_failures",
            "Requests refused for their credentials, by reason.",
            ("reason",),
            registry=self.registry,
        )
        # `.labels()` costs a lock and a tuple build per call; the label sets are bounded
        # (route templates), so keep each child once (~50-100 µs/request saved, bench).
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        """The text exposition (all workers' sum in multiprocess mode)."""
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
