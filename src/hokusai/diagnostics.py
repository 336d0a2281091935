"""The checks behind ``hokusai doctor``: configuration, network, gateway, key and scopes.

Each check returns a `Check` with a status and, when it fails, the fix. Nothing
is written to the registry: the write check sends a request the gateway authorizes as
a write but MLflow rejects as invalid (``experiments/create`` without a name).

Examples:
    >>> checks = run_checks("http://127.0.0.1:9/api/mlflow", api_key="hk_test_x", timeout=1)
    >>> [(c.name, c.status) for c in checks][4:6]
    [('dns', 'pass'), ('connection', 'fail')]
"""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from hokusai._translate import SET_KEY_HINT, not_found_message, suggested_uri
from hokusai.auth import API_KEY_HEADER
from hokusai.config import Setting, resolve_api_key, resolve_tracking_uri
from hokusai.errors import ConfigurationError

PASS, FAIL, SKIP, INFO = "pass", "fail", "skip", "info"
SEARCH_PATH = "/api/2.0/mlflow/experiments/search?max_results=1"
WRITE_PROBE_PATH = "/api/2.0/mlflow/experiments/create"
LOCAL_UP = "start it with `hokusai local up`, or fix the host/port in MLFLOW_TRACKING_URI"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    Examples:
        >>> Check("connection", "fail", "connection refused", "start it").ok
        False
    """

    name: str
    status: str
    """``pass``, ``fail``, ``skip`` (an earlier check failed) or ``info``."""
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """False only for a failed check."""
        return self.status != FAIL

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``hokusai doctor --json``."""
        return asdict(self)


def mask(secret: str) -> str:
    """A key shown safely: its prefix and the last four characters.

    Examples:
        >>> mask("hk_test_abcdefghijklmnopqrstuvwxyz123456")
        'hk_test_…3456'
    """
    prefix = secret[:8] if secret.startswith("hk_") else secret[:3]
    return f"{prefix}…{secret[-4:]}" if len(secret) > 12 else "…"


def _versions() -> Check:
    def of(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "not installed"

    return Check(
        "versions",
        INFO,
        f"hokusai-ml-platform {of('hokusai-ml-platform')}, mlflow {of('mlflow-skinny')}, "
        f"Python {platform.python_version()}",
    )


def _retries() -> Check:
    from hokusai._retries import BOUNDED_RETRIES

    shown = []
    for name, default in BOUNDED_RETRIES.items():
        value = os.environ.get(name)
        short = name.removeprefix("MLFLOW_HTTP_REQUEST_")
        shown.append(
            f"{short}={value} (environment)" if value else f"{short}={default} (SDK default)"
        )
    return Check(
        "client retries",
        INFO,
        ", ".join(shown)
        + "; MLflow requests without a Hokusai key retry a 503 silently for ~4 min",
    )


def _settings(
    tracking_uri: str | None, api_key: str | None
) -> tuple[list[Check], Setting | None, Setting | None]:
    checks: list[Check] = []
    try:
        uri = resolve_tracking_uri(tracking_uri)
        checks.append(Check("tracking URI", PASS, f"{uri.value} (from {uri.source})"))
    except ConfigurationError as exc:
        uri = None
        checks.append(
            Check(
                "tracking URI",
                FAIL,
                str(exc),
                "export MLFLOW_TRACKING_URI=http://host:port/api/mlflow",
            )
        )
    try:
        key = resolve_api_key(api_key)
    except ConfigurationError as exc:
        return (
            [*checks, Check("API key", FAIL, str(exc), "fix or delete the config file")],
            uri,
            None,
        )
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if key is not None:
        checks.append(Check("API key", PASS, f"{mask(key.value)} (from {key.source})"))
    elif token:
        checks.append(
            Check("API key", PASS, f"{mask(token)} (from environment (MLFLOW_TRACKING_TOKEN))")
        )
    else:
        checks.append(Check("API key", FAIL, "no API key is configured", SET_KEY_HINT))
    return checks, uri, key


def _network(uri: str, timeout: float) -> list[Check]:
    parts = urlsplit(uri)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
    except OSError as exc:
        return [
            Check(
                "dns",
                FAIL,
                f"cannot resolve {host!r}: {exc}",
                "check the host name in the tracking URI",
            )
        ]
    checks = [Check("dns", PASS, f"{host} → {address}")]
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = (
            "connection refused"
            if isinstance(exc, ConnectionRefusedError)
            else str(exc) or type(exc).__name__
        )
        return [*checks, Check("connection", FAIL, f"{host}:{port}: {reason}", LOCAL_UP)]
    return [*checks, Check("connection", PASS, f"{host}:{port} accepts connections")]


def _headers(key: Setting | None) -> dict[str, str]:
    if key is not None:
        return {API_KEY_HEADER: key.value}
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


def _message(response: Any) -> str:
    try:
        return str(response.json().get("message", response.text))[:500]
    except ValueError:
        return response.text[:200] or f"HTTP {response.status_code}"


def _gateway(uri: str, session: Any, timeout: float) -> list[Check]:
    parts = urlsplit(uri)
    root = f"{parts.scheme}://{parts.netloc}"
    try:
        response = session.get(root + "/health", timeout=timeout)
        healthy = response.status_code == 200 and response.json().get("status") == "ok"
    except Exception as exc:  # any failure here means "not our gateway"
        return [Check("gateway /health", FAIL, f"{root}/health: {type(exc).__name__}", LOCAL_UP)]
    if not healthy:
        return [
            Check(
                "gateway /health",
                FAIL,
                f"{root}/health answered HTTP {response.status_code}, not a Hokusai gateway",
                f"point MLFLOW_TRACKING_URI at a Hokusai registry, e.g. {suggested_uri(uri)}",
            )
        ]
    checks = [Check("gateway /health", PASS, f"{root}/health answers ok")]
    try:
        ready = session.get(root + "/ready", timeout=timeout)
    except Exception as exc:
        return [*checks, Check("registry backend", INFO, f"/ready: {type(exc).__name__}")]
    if ready.status_code == 200:
        checks.append(Check("registry backend", PASS, "the gateway reaches MLflow (/ready)"))
    elif ready.status_code == 503:
        checks.append(
            Check(
                "registry backend",
                FAIL,
                "the gateway answers but its MLflow server does not (/ready: 503); SDK calls "
                "fail with 'temporarily unavailable' after a few seconds of retries",
                "restart `hokusai local up`, or ask the registry's operator to check MLflow",
            )
        )
    else:
        checks.append(Check("registry backend", INFO, f"/ready answered HTTP {ready.status_code}"))
    return checks


def _api(uri: Setting, key: Setting | None, session: Any, timeout: float) -> list[Check]:
    headers = _headers(key)
    try:
        read = session.get(uri.value + SEARCH_PATH, headers=headers, timeout=timeout)
    except Exception as exc:
        return [Check("tracking URI path", FAIL, f"{type(exc).__name__}: {exc}", LOCAL_UP)]
    if read.status_code == 404:
        return [
            Check(
                "tracking URI path",
                FAIL,
                f"{uri.value} answered HTTP 404 (from {uri.source})",
                not_found_message(uri.value, uri.source),
            )
        ]
    path = Check("tracking URI path", PASS, f"{uri.value}/api/2.0/mlflow/… is routed")
    if read.status_code == 401:
        origin = f" (key from {key.source})" if key else ""
        return [path, Check("authentication", FAIL, _message(read) + origin, SET_KEY_HINT)]
    if read.status_code >= 500:
        return [path, Check("registry backend", FAIL, f"HTTP {read.status_code}: {_message(read)}",
                            "the registry's MLflow server is down: retry later or contact its operator")]  # fmt: skip
    checks = [path, Check("authentication", PASS, "the key is accepted")]
    if read.status_code == 403:
        checks.append(
            Check(
                "read permission",
                FAIL,
                _message(read),
                "use a key with the 'read' scope: `hokusai keys create --name <name> --scope read`",
            )
        )
    elif read.status_code == 200:
        checks.append(Check("read permission", PASS, "experiments/search answered 200"))
    else:
        checks.append(
            Check(
                "read permission",
                FAIL,
                f"HTTP {read.status_code}: {_message(read)}",
                "run again; report this to the registry operator",
            )
        )
    checks.append(_write_probe(uri.value, headers, session, timeout))
    return checks


def _write_probe(uri: str, headers: dict[str, str], session: Any, timeout: float) -> Check:
    try:
        response = session.post(uri + WRITE_PROBE_PATH, json={}, headers=headers, timeout=timeout)
    except Exception as exc:
        return Check("write permission", FAIL, f"{type(exc).__name__}: {exc}", LOCAL_UP)
    if response.status_code == 400:  # authorized as a write, rejected by MLflow: nothing written
        return Check(
            "write permission",
            PASS,
            "the key may write (probe rejected as invalid; nothing written)",
        )
    if response.status_code == 403:
        return Check("write permission", FAIL, _message(response),
                     "registering models needs the 'write' scope: `hokusai keys create --name <name> --scope read --scope write`")  # fmt: skip
    return Check(
        "write permission",
        FAIL,
        f"unexpected HTTP {response.status_code}: {_message(response)}",
        "run again; report this to the registry operator",
    )


def run_checks(
    tracking_uri: str | None = None, api_key: str | None = None, timeout: float = 5.0
) -> list[Check]:
    """Run every check in order; checks after a failed prerequisite are ``skip``.

    Examples:
        >>> checks = run_checks(registry.tracking_uri)
        >>> [check.name for check in checks if check.status == "fail"]
        []
        >>> checks[-1].name, checks[-1].status
        ('write permission', 'pass')
    """
    import requests

    checks = [_versions(), _retries()]
    settings, uri, key = _settings(tracking_uri, api_key)
    checks += settings
    remaining = ["dns", "connection", "gateway /health", "tracking URI path", "authentication",
                 "read permission", "write permission"]  # fmt: skip
    if uri is not None:
        checks += _network(uri.value, timeout)
        if checks[-1].ok:
            with requests.Session() as session:
                session.trust_env = True
                gateway = _gateway(uri.value, session, timeout)
                checks += gateway
                if gateway[0].ok:
                    checks += _api(uri, key, session, timeout)
    done = {check.name for check in checks}
    checks += [
        Check(name, SKIP, "an earlier check failed") for name in remaining if name not in done
    ]
    return checks
