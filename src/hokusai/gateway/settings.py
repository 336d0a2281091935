"""Gateway settings: every option is a ``HOKUSAI_GATEWAY_*`` environment variable.

This module is the one source of truth for those names; the CLI flags of
``hokusai gateway serve`` map onto the same fields (their help is the description
below), and the reference page is generated from it.

Header lists are comma-separated in the environment, e.g.
``HOKUSAI_GATEWAY_REMOVE_HEADERS=cookie,x-debug``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "HOKUSAI_GATEWAY_"
"""Prefix of the environment variable of each setting (``HOKUSAI_GATEWAY_PORT``…)."""

HeaderList = Annotated[tuple[str, ...], NoDecode]


class GatewaySettings(BaseSettings):
    """Configuration of the API-key gateway in front of ``mlflow server``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    mlflow_url: str = Field(
        "http://127.0.0.1:5001",
        description="Base URL of the MLflow server the gateway forwards to.",
    )
    db_url: str = Field(
        "sqlite:///.hokusai/keys.db",
        description="SQLAlchemy URL of the API-key store: a SQLite file, or Postgres "
        "(postgresql://user:pass@host/db, driven by psycopg 3).",
    )
    host: str = Field("127.0.0.1", description="Interface `hokusai gateway serve` listens on.")
    port: int = Field(8080, description="Port `hokusai gateway serve` listens on.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes.")
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to connect to MLflow.")
    read_timeout: float = Field(
        300.0, gt=0, description="Seconds to wait for MLflow between bytes of a response."
    )
    total_timeout: float | None = Field(
        None,
        gt=0,
        description="Seconds one upstream request may take in all (unset: no limit, so "
        "large artifacts can stream for as long as bytes keep flowing).",
    )
    max_connections: int = Field(100, ge=1, description="Pooled connections to MLflow.")
    keepalive_timeout: float = Field(
        3.0,
        gt=0,
        description="Seconds an idle pooled connection to MLflow is kept (below uvicorn's "
        "5 s, so MLflow never closes a connection the gateway is about to reuse).",
    )
    identity_header: str = Field(
        "X-Hokusai-Key-Id",
        description="Header carrying the authenticated key's id to MLflow; a client "
        "sending it has it removed.",
    )
    request_id_header: str = Field(
        "X-Request-Id",
        description="Header carrying the request id (to MLflow, and back to the client).",
    )
    forward_headers: HeaderList = Field(
        (),
        description="If set, only these client headers are forwarded to MLflow (besides "
        "the body's Content-* headers, Accept* and the gateway's own). Comma-separated.",
    )
    remove_headers: HeaderList = Field(
        (),
        description="Client headers never forwarded to MLflow (credentials and hop-by-hop "
        "headers always are removed). Comma-separated.",
    )
    allow_query_key: bool = Field(
        True,
        description="Accept `?api_key=` as a last-resort credential (it is stripped "
        "before forwarding and from logs either way).",
    )
    session_lifetime: int = Field(
        8 * 3600,
        ge=60,
        description="Seconds a browser session of the MLflow UI lasts after signing in "
        "with an API key (the session cookie's Max-Age); then the browser signs in again.",
    )
    secure_cookies: bool = Field(
        False,
        description="Always mark the UI's cookies Secure. They are anyway when the request "
        "came over HTTPS as uvicorn reports it: TLS, or X-Forwarded-Proto from a proxy "
        "uvicorn trusts (127.0.0.1, or the addresses in uvicorn's FORWARDED_ALLOW_IPS "
        "variable); set this behind a TLS proxy it does not trust.",
    )
    access_log: bool = Field(True, description="Write one JSON access-log line per request.")
    log_level: str = Field("info", description="Log level of `hokusai gateway serve`.")
    debug_headers: bool = Field(
        False,
        description="Log one JSON line per request on the `hokusai.gateway.header_debug` "
        "logger: which credential the gateway saw and which headers it received, "
        "forwarded to MLflow and removed (names and sizes; values redacted). For "
        "debugging a client; keep it off in production.",
    )
    metrics_key_ids: bool = Field(
        False,
        description="Also count requests per API-key id in /metrics "
        "(`hokusai_gateway_key_requests_total`): one series per key and status, so only "
        "for a bounded number of keys. Key ids only, never keys.",
    )

    @field_validator("forward_headers", "remove_headers", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        return tuple(v.strip().lower() for v in value if v.strip())

    @field_validator("mlflow_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        url.port  # noqa: B018 - raises ValueError for a port that is not a number
        return value

    @field_validator("identity_header", "request_id_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if not value or not value.isascii() or any(c in value for c in " :\t\r\n"):
            raise ValueError(f"{value!r} is not a valid HTTP header name")
        return value

    def to_env(self) -> dict[str, str]:
        """These settings as ``HOKUSAI_GATEWAY_*`` variables (for worker processes)."""
        env = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, tuple):
                value = ",".join(value)
            env[ENV_PREFIX + name.upper()] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
        return env


__all__ = ["ENV_PREFIX", "GatewaySettings"]
