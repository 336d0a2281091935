"""``hokusai gateway serve``: the gateway on its own, for deployments."""

from __future__ import annotations

import click

from hokusai.cli.options import require_server_extra


@click.group()
def gateway() -> None:
    """Run the API-key gateway in front of an existing MLflow server."""


@gateway.command()
@click.option("--mlflow-url", envvar="HOKUSAI_GATEWAY_MLFLOW_URL", help="MLflow server base URL.")
@click.option("--db", "db_url", envvar="HOKUSAI_GATEWAY_DB_URL", help="Key store SQLAlchemy URL.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True)
@click.option("--workers", default=1, show_default=True, help="uvicorn worker processes.")
def serve(mlflow_url: str | None, db_url: str | None, host: str, port: int, workers: int) -> None:
    """Serve the gateway with uvicorn; settings also come from HOKUSAI_GATEWAY_* variables."""
    require_server_extra()
    import os

    import uvicorn

    # Workers build their own app from the environment, so pass the flags that way.
    if mlflow_url:
        os.environ["HOKUSAI_GATEWAY_MLFLOW_URL"] = mlflow_url
    if db_url:
        os.environ["HOKUSAI_GATEWAY_DB_URL"] = db_url
    uvicorn.run(
        "hokusai.gateway:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
