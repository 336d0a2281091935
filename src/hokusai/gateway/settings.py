"""Gateway settings: every option is a ``HOKUSAI_GATEWAY_*`` environment variable.

This module is the one source of truth for those names; the CLI flags of
``hokusai gateway serve`` map onto the same fields, and the reference page is
generated from it.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Configuration of the API-key gateway in front of ``mlflow server``."""

    model_config = SettingsConfigDict(env_prefix="HOKUSAI_GATEWAY_", extra="forbid")

    mlflow_url: str = Field(
        "http://127.0.0.1:5001",
        description="Base URL of the MLflow server the gateway forwards to.",
    )
    db_url: str = Field(
        "sqlite:///.hokusai/keys.db",
        description="SQLAlchemy URL of the API-key store (SQLite file or Postgres).",
    )
    connect_timeout: float = Field(5.0, description="Seconds to connect to MLflow.")
    read_timeout: float = Field(
        300.0, description="Seconds to wait for MLflow between bytes of a response."
    )
    max_connections: int = Field(100, description="Pooled connections to MLflow.")
    identity_header: str = Field(
        "X-Hokusai-Key-Id",
        description="Header carrying the authenticated key's id to MLflow.",
    )
    allow_query_key: bool = Field(
        True,
        description="Accept `?api_key=` as a last-resort credential (stripped before "
        "forwarding).",
    )


__all__ = ["GatewaySettings"]
