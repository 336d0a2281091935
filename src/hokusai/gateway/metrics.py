"""Prometheus metrics of the gateway, served at ``/metrics`` in the text format.

`METRICS` is the one definition of every metric: its name, type, help and the
values each label takes. `Metrics` creates them from it, and the reference page
(``docs/reference/metrics.md``) and the shipped alert rules' tests read it too. Every
label has a bounded set of values: route *templates*, never raw paths; reasons and
kinds from fixed lists; key ids only when ``HOKUSAI_GATEWAY_METRICS_KEY_IDS`` asks for
them (key ids are not secrets; keys never appear).

Series with a fixed label set (every failure reason, every upstream error kind, each
registration outcome) are exported at zero from the start: Prometheus's ``rate()`` and
``increase()`` need a sample *before* the first increment, or a series born with the
value 1 would never show an increase.

With several uvicorn workers each worker counts on its own; ``hokusai gateway serve
--workers N`` then points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory and every
worker's ``/metrics`` answers the sum over all workers (prometheus-client's
multiprocess mode). With one worker the numbers live in memory. The readiness checks
(``hokusai_gateway_check_ok``) are run by the worker that answers the scrape, at the
time of the scrape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

# `*_created` timestamps double the output and no dashboard of ours reads them.
disable_created_metrics()

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# The registration step: `mlflow.register_model`, `MlflowClient.create_model_version` and
# the SDK's `register_tokenized_model` all create the version with this call.
REGISTRATION_ROUTE = "/api/2.0/mlflow/model-versions/create"
# How much of a failed registration's answer is read for its `error_code` (MLflow's and
# the gateway's error bodies start with it).
ERROR_BODY_BYTES = 1024

AUTH_FAILURE_REASONS = {
    "missing": "no credential at all",
    "empty": "an empty key or Authorization header",
    "malformed": "a key that cannot be one (spaces, non-ASCII, too long)",
    "scheme": "an Authorization scheme other than Bearer or ApiKey (e.g. Basic)",
    "query_disabled": "`?api_key=` sent while the gateway does not accept it",
    "duplicate": "the same credential header sent twice",
    "conflict": "two different keys in one request",
    "unknown": "a key the store does not know",
    "revoked": "a revoked key",
    "expired": "an expired key",
    "scope": "a valid key without the scope the route needs (403)",
    "signin_required": "a browser opening the UI without a session (answered the sign-in "
    "page; not counted by the auth-failure alert)",
    "session_malformed": "a UI session cookie that cannot be one (wrong length or characters)",
    "session_duplicate": "the UI session cookie sent more than once",
    "session_unknown": "a UI session cookie the store does not know (forged, signed out)",
    "session_expired": "an expired UI session",
    "cross_site": "a state-changing request on a UI session (or a sign-in form) without a "
    "same-origin proof (403)",
    "store_unavailable": "the key store could not be read (503; not the client's fault)",
}
UPSTREAM_ERROR_KINDS = {
    "unreachable": "no connection to MLflow (refused, or not made within the connect timeout)",
    "timeout": "MLflow did not answer within the read (or total) timeout",
    "disconnected": "MLflow closed the connection before answering",
    "aborted": "MLflow broke off in the middle of its answer",
}
REGISTRATION_FAILURE_REASONS = {
    "invalid_parameter_value": "MLflow refused the request's fields (bad source, run id…)",
    "resource_does_not_exist": "the registered model (or run) does not exist",
    "resource_already_exists": "MLflow reported a conflict",
    "unauthenticated": "refused by the gateway for its key (see the auth reasons)",
    "permission_denied": "the key lacks the write scope",
    "request_limit_exceeded": "rate limited",
    "internal_error": "MLflow failed (500)",
    "temporarily_unavailable": "MLflow or the key store was unavailable (502, 503)",
    "deadline_exceeded": "MLflow did not answer in time (504)",
    "aborted": "MLflow broke off in the middle of its answer",
    "client_gone": "the client went away before the answer (499)",
    "other": "any other status or error code",
}
CHECKS = {
    "mlflow": "MLflow answers its /health (proxy mode only: in-process, MLflow is the "
    "process answering)",
    "key_store": "the key store answers",
}
_ERROR_CODE = re.compile(rb'"error_code"\s*:\s*"([A-Z_]{1,64})"')


@dataclass(frozen=True)
class Metric:
    """One metric the gateway exports, as Prometheus shows it.

    ``labels`` maps each label to the values it takes: a description, or a mapping
    ``value -> meaning`` when the values are a fixed list.
    """

    name: str
    kind: str  # counter, histogram or gauge
    help: str
    labels: Mapping[str, str | Mapping[str, str]]


REQUESTS = Metric(
    "hokusai_gateway_requests_total",
    "counter",
    "Requests answered by the gateway, by MLflow route template, method and status.",
    {
        "route": "the MLflow route template (`/api/2.0/mlflow/runs/get`, "
        "`/api/2.0/mlflow-artifacts/artifacts/<path:artifact_path>`…); `unmatched` for "
        "paths that are no MLflow route; `/health`, `/ready`, `/metrics` for the gateway's own",
        "method": "`GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE`, `OPTIONS`, else `OTHER`",
        "status": "the HTTP status sent (`499`: the client went away before an answer); "
        "the shipped recording rules group it into `status_class` (`2xx`, `4xx`…)",
    },
)
REQUEST_DURATION = Metric(
    "hokusai_gateway_request_duration_seconds",
    "histogram",
    "Time from request to the end of the response, by route template and method.",
    {"route": f"as for `{REQUESTS.name}`", "method": f"as for `{REQUESTS.name}`"},
)
UPSTREAM_DURATION = Metric(
    "hokusai_gateway_upstream_duration_seconds",
    "histogram",
    "Time MLflow took to start its answer, by route template: from handing the request "
    "on to its response head (the proxy's wait for a pooled connection to MLflow and the "
    "request body's upload included; in-process, MLflow's app in this process).",
    {"route": f"as for `{REQUESTS.name}`"},
)
UPSTREAM_ERRORS = Metric(
    "hokusai_gateway_upstream_errors_total",
    "counter",
    "Requests MLflow did not answer, by kind of failure.",
    {"kind": UPSTREAM_ERROR_KINDS},
)
AUTH_FAILURES = Metric(
    "hokusai_gateway_auth_failures_total",
    "counter",
    "Requests refused for their credentials, by reason.",
    {"reason": AUTH_FAILURE_REASONS},
)
REGISTRATIONS = Metric(
    "hokusai_gateway_registrations_total",
    "counter",
    f"Model-version creations (POST {REGISTRATION_ROUTE}, the step that registers a "
    "model), by outcome and, when failed, reason.",
    {
        "outcome": {"succeeded": "MLflow created the version", "failed": "it did not"},
        "reason": {"none": "(succeeded)", **REGISTRATION_FAILURE_REASONS},
    },
)
KEY_REQUESTS = Metric(
    "hokusai_gateway_key_requests_total",
    "counter",
    "Requests whose key was accepted, by API-key id and status: only when "
    "HOKUSAI_GATEWAY_METRICS_KEY_IDS is true (one series per key and status).",
    {
        "key_id": "the key's id (`key_…`, as `hokusai keys list` shows it)",
        "status": f"as for `{REQUESTS.name}`",
    },
)
CHECK_OK = Metric(
    "hokusai_gateway_check_ok",
    "gauge",
    "The /ready checks, run when /metrics is scraped: 1 passing, 0 failing.",
    {"check": CHECKS},
)
METRICS = (
    REQUESTS,
    REQUEST_DURATION,
    UPSTREAM_DURATION,
    UPSTREAM_ERRORS,
    AUTH_FAILURES,
    REGISTRATIONS,
    KEY_REQUESTS,
    CHECK_OK,
)


def _counter(metric: Metric, registry: CollectorRegistry) -> Counter:
    return Counter(metric.name, metric.help, tuple(metric.labels), registry=registry)


def _histogram(metric: Metric, registry: CollectorRegistry) -> Histogram:
    labels = tuple(metric.labels)
    return Histogram(metric.name, metric.help, labels, buckets=BUCKETS, registry=registry)


def registration_outcome(status: int, answer: bytes | bytearray | None = None) -> tuple[str, str]:
    """``(outcome, reason)`` of a model-version creation answered with ``status``;
    ``answer`` is the start of the error body, whose ``error_code`` names the reason.

    Examples:
        >>> registration_outcome(200)
        ('succeeded', 'none')
        >>> registration_outcome(404, b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No such model"}')
        ('failed', 'resource_does_not_exist')
        >>> registration_outcome(502, b"<html>Bad Gateway</html>")
        ('failed', 'other')
    """
    if 200 <= status < 300:
        return "succeeded", "none"
    if status == 499:
        return "failed", "client_gone"
    found = _ERROR_CODE.search(answer or b"")
    reason = found.group(1).decode().lower() if found else "other"
    return "failed", reason if reason in REGISTRATION_FAILURE_REASONS else "other"


class _Checks:
    """A collector for one scrape: the readiness checks as ``hokusai_gateway_check_ok``."""

    def __init__(self, checks: Mapping[str, str]) -> None:
        self.checks = checks

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(CHECK_OK.name, CHECK_OK.help, labels=tuple(CHECK_OK.labels))
        for check, result in self.checks.items():
            family.add_metric((check,), 1.0 if result == "ok" else 0.0)
        yield family


class Metrics:
    """The gateway's counters and histograms, in a registry of their own.

    ``key_ids``: also count requests per key id (`KEY_REQUESTS`).
    """

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, key_ids: bool = False) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.requests = _counter(REQUESTS, registry)
        self.latency = _histogram(REQUEST_DURATION, registry)
        self.upstream_latency = _histogram(UPSTREAM_DURATION, registry)
        self.upstream_errors = _counter(UPSTREAM_ERRORS, registry)
        self.auth_failures = _counter(AUTH_FAILURES, registry)
        self.registrations = _counter(REGISTRATIONS, registry)
        self.key_requests = _counter(KEY_REQUESTS, registry) if key_ids else None
        for kind in UPSTREAM_ERROR_KINDS:
            self.upstream_errors.labels(kind)
        for reason in AUTH_FAILURE_REASONS:
            self.auth_failures.labels(reason)
        self.registrations.labels("succeeded", "none")
        for reason in REGISTRATION_FAILURE_REASONS:
            self.registrations.labels("failed", reason)
        # `.labels()` costs a lock and a tuple build per call; the label sets are bounded
        # (route templates), so keep each child once (~50-100 µs/request saved, bench).
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._upstream: dict[str, Histogram] = {}

    def observe(
        self,
        route: str,
        method: str,
        status: int,
        seconds: float,
        upstream_seconds: float | None = None,
    ) -> None:
        """Count one answered request; ``upstream_seconds`` when MLflow answered it."""
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
        children[0].inc()
        children[1].observe(seconds)
        if upstream_seconds is not None:
            upstream = self._upstream.get(route)
            if upstream is None:
                upstream = self._upstream[route] = self.upstream_latency.labels(route)
            upstream.observe(upstream_seconds)

    def count_key(self, key_id: str, status: int) -> None:
        """One request of key ``key_id`` (only counted when key ids were asked for)."""
        if self.key_requests is not None:
            self.key_requests.labels(key_id, str(status)).inc()

    def count_registration(
        self, status: int, answer: bytes | bytearray | None, aborted: bool
    ) -> None:
        """One model-version creation, answered with ``status`` (see
        `registration_outcome`); ``aborted``: MLflow broke off mid-answer."""
        outcome = ("failed", "aborted") if aborted else registration_outcome(status, answer)
        self.registrations.labels(*outcome).inc()

    def render(self, checks: Mapping[str, str] | None = None) -> bytes:
        """The text exposition (all workers' sum in multiprocess mode), with ``checks``
        (``{name: "ok" or the problem}``) as ``hokusai_gateway_check_ok``."""
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            text = generate_latest(registry)
        else:
            text = generate_latest(self.registry)
        if checks:
            text += generate_latest(_Checks(checks))
        return text
