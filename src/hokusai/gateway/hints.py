"""What the gateway's refusals tell the client to do, fitted to the client and request.

A refusal names what the client can change: the variable that set the key it sent
(``HOKUSAI_API_KEY`` for the SDK and its MLflow plugin, which send ``X-API-Key``;
``MLFLOW_TRACKING_TOKEN`` for the plain ``mlflow`` client, which sends it as
``Authorization: Bearer``), and a tracking URI built from the request's own scheme,
host and port. Which client sent a request is read from its ``User-Agent``: the
``mlflow`` client sends ``mlflow-python-client/<version>``, and the Hokusai plugin
adds `CLIENT_PRODUCT` to it (`hokusai.auth.header_provider`).

Examples:
    >>> client_of([(b"user-agent", b"mlflow-python-client/3.17.2")])
    'mlflow'
    >>> client_of([(b"user-agent", b"mlflow-python-client/3.17.2 hokusai-ml-platform/0.2.0")])
    'sdk'
    >>> client_of([(b"user-agent", b"curl/8.5.0")])
    'other'
    >>> base_url({"scheme": "https", "headers": [(b"host", b"registry.example.com")]})
    'https://registry.example.com'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from hokusai.auth import API_KEY_HEADER, CLIENT_PRODUCT
from hokusai.config import TRACKING_PATH
from hokusai.gateway.types import Scope

Client = Literal["sdk", "mlflow", "other"]

_MLFLOW_CLIENT = b"mlflow-python-client/"
_SDK_MARKER = CLIENT_PRODUCT.encode() + b"/"
# A Host header worth echoing: a name or an IPv4/[IPv6] address, and a port.
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(?::\d{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?")
CREATE_KEY = "create a key with `hokusai keys create`"

MISSING = {
    "sdk": f"API key required: set HOKUSAI_API_KEY ({CREATE_KEY}).",
    "mlflow": (
        "API key required: the mlflow client sent none. Set MLFLOW_TRACKING_TOKEN=<key> "
        "(the client sends it as 'Authorization: Bearer <key>'), or install "
        f"hokusai-ml-platform and set HOKUSAI_API_KEY; {CREATE_KEY}."
    ),
    "other": (
        f"API key required: send it as '{API_KEY_HEADER}: <key>' or 'Authorization: Bearer "
        "<key>'. With the SDK, set HOKUSAI_API_KEY; with the plain mlflow client, "
        f"MLFLOW_TRACKING_TOKEN ({CREATE_KEY})."
    ),
}
UNKNOWN = "API key not recognised: check {named}, or {create}."
NOT_FOUND = (
    "No MLflow API route at {method} {path}. Point the client at the registry's tracking "
    "URI, {uri} (MLflow adds /api/2.0/mlflow/… itself)."
)
UNKNOWN_ROUTE = (
    "No route {method} {route} in MLflow {version}, whose API this gateway serves: the "
    "tracking URI {uri} is right, but this MLflow version does not serve that call (is "
    "the client's MLflow newer or older than the server's?)."
)


def client_of(headers: Sequence[tuple[bytes, bytes]]) -> Client:
    """Which client sent the request, by its ``User-Agent``."""
    for name, value in headers:
        if name.lower() == b"user-agent":
            if _SDK_MARKER in value:
                return "sdk"
            if value.startswith(_MLFLOW_CLIENT):
                return "mlflow"
    return "other"


def named(source: str, scheme: str, client: Client) -> str:
    """The setting (or header) a key found in ``source`` came from, for a message.

    Examples:
        >>> named("Authorization", "Bearer", "mlflow")
        'MLFLOW_TRACKING_TOKEN'
        >>> named("Authorization", "Bearer", "other")
        "the key sent as 'Authorization: Bearer'"
        >>> named("X-API-Key", "", "sdk")
        'HOKUSAI_API_KEY'
    """
    if source == API_KEY_HEADER:
        return "HOKUSAI_API_KEY"
    if source == "Authorization":
        if scheme.lower() == "bearer" and client != "other":
            return "MLFLOW_TRACKING_TOKEN"
        return f"the key sent as 'Authorization: {scheme}'"
    return "the api_key query parameter"


def unknown_key(names: list[str]) -> str:
    """The message for a key the store does not know, naming where it came from."""
    return UNKNOWN.format(named=" and ".join(dict.fromkeys(names)), create=CREATE_KEY)


def base_url(scope: Scope) -> str:
    """``scheme://host[:port]`` of the request as the client addressed it.

    The scheme is the scope's (uvicorn sets it from ``X-Forwarded-Proto`` only for the
    proxies it trusts); the host is the ``Host`` header when it looks like one, else
    the address the server listens on.
    """
    scheme = scope.get("scheme", "http")
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1")
            if _HOST.fullmatch(host):
                return f"{scheme}://{host}"
            break
    server = scope.get("server") or ("127.0.0.1", None)
    port = f":{server[1]}" if server[1] else ""
    return f"{scheme}://{server[0]}{port}"


def not_found(scope: Scope, mount: str | None, known_family: bool, version: str) -> str:
    """The message for a path the route table has no route for.

    ``mount`` is the mount prefix the path starts with (``None``: none), and
    ``known_family`` whether the rest starts like MLflow's routes (``/api/2.0/mlflow/``…):
    then the tracking URI is right and the route is unknown to this MLflow version.
    """
    method, path = scope["method"], scope["path"]
    base = base_url(scope)
    if mount is not None and known_family:
        uri = base + mount
        route = path[len(mount) :]
        return UNKNOWN_ROUTE.format(method=method, route=route, version=version, uri=uri)
    return NOT_FOUND.format(method=method, path=path, uri=base + TRACKING_PATH)
