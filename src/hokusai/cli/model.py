"""``hokusai model``: register, show and list models in the registry."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

registry_options = [
    click.option(
        "--tracking-uri", help="Registry URL  [default: MLFLOW_TRACKING_URI, config file, …]"
    ),
    click.option("--api-key", help="API key  [default: HOKUSAI_API_KEY, config file]"),
    click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
]


def _with_registry_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(registry_options):
        command = option(command)
    return command


def _friendly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show Hokusai errors as `Error: <what to do>` with exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hokusai.errors import HokusaiError

        try:
            return command(*args, **kwargs)
        except HokusaiError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def _registry(tracking_uri: str | None, api_key: str | None):
    from hokusai import ModelRegistry

    return ModelRegistry(tracking_uri=tracking_uri, api_key=api_key)


def _as_dict(model: Any) -> dict[str, Any]:
    data = asdict(model)
    data["model_uri"] = model.model_uri
    return data


def _describe(model: Any) -> str:
    aliases = f" @{', @'.join(model.aliases)}" if model.aliases else ""
    token = model.token_id or "-"
    return (
        f"{model.name} v{model.version}{aliases}  token {token}  {model.role}  "
        f"{model.metric_name}={model.baseline_value:g}  {model.model_uri}"
    )


@click.group()
def model() -> None:
    """Register, show and list models in the registry."""


@model.command()
@click.option(
    "--model-path",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A local MLflow model directory (e.g. from mlflow.sklearn.save_model); it is uploaded.",
)
@click.option("--model-uri", help="An MLflow model URI: models:/m-…, runs:/<run>/model, …")
@click.option("--name", "model_name", required=True, help="Registered model name.")
@click.option(
    "--token-id", required=True, help="Hokusai token id: 1-64 letters, digits or hyphens."
)
@click.option("--metric", "metric_name", required=True, help="Benchmark metric, e.g. accuracy.")
@click.option(
    "--baseline", "baseline_value", required=True, type=float, help="The metric's baseline value."
)
@click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Extra version tag; repeatable."
)
@click.option(
    "--experiment",
    default="hokusai-uploads",
    show_default=True,
    help="Experiment for --model-path uploads.",
)
@_with_registry_options
@_friendly
def register(
    model_path: Path | None,
    model_uri: str | None,
    model_name: str,
    token_id: str,
    metric_name: str,
    baseline_value: float,
    tags: tuple[str, ...],
    experiment: str,
    tracking_uri: str | None,
    api_key: str | None,
    as_json: bool,
) -> None:
    """Register a model version for a token (idempotent: re-running returns the same version).

    Example: hokusai model register --model-path ./lead-scorer --name lead-scorer
    --token-id LSCOR --metric accuracy --baseline 0.85
    """
    if (model_path is None) == (model_uri is None):
        raise click.UsageError("Pass exactly one of --model-path PATH or --model-uri URI.")
    extra = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{tag!r} is not KEY=VALUE.", param_hint="--tag")
        extra[key] = value
    registry = _registry(tracking_uri, api_key)
    if model_path is not None:
        click.echo(f"Uploading {model_path} to {registry.tracking_uri} …", err=True)

        def progress(name: str, sent: int, total: int) -> None:
            percent = 100 * sent // total if total else 100
            click.echo(f"  {percent:3d}%  {name}", err=True)

        # MLflow prints "View run …" links on stdout; keep stdout for the result (--json).
        with contextlib.redirect_stdout(sys.stderr):
            model_uri = registry.upload_model_directory(model_path, experiment, progress)
        click.echo(f"Uploaded as {model_uri}", err=True)
    registered = registry.register_tokenized_model(
        model_uri, model_name, token_id, metric_name, baseline_value, extra or None
    )
    if as_json:
        click.echo(json.dumps(_as_dict(registered), indent=2))
    else:
        click.echo(
            f"Registered {registered.name} version {registered.version} for token {registered.token_id}"
        )
        click.echo(registered.model_uri)


@model.command()
@click.argument("name")
@click.option("--version", help="Version number  [default: the latest]")
@_with_registry_options
@_friendly
def show(
    name: str, version: str | None, tracking_uri: str | None, api_key: str | None, as_json: bool
) -> None:
    """Show a registered model version (the latest unless --version).

    Example: hokusai model show lead-scorer --version 2
    """
    found = _registry(tracking_uri, api_key).get_tokenized_model(name, version)
    if as_json:
        click.echo(json.dumps(_as_dict(found), indent=2))
        return
    for label, value in [
        ("name", found.name), ("version", found.version), ("token id", found.token_id),
        ("role", found.role), ("metric", found.metric_name), ("baseline", found.baseline_value),
        ("aliases", ", ".join(found.aliases) or "-"), ("run id", found.run_id or "-"),
        ("source", found.source), ("model uri", found.model_uri),
        *((f"tag {k}", v) for k, v in sorted(found.tags.items())),
    ]:  # fmt: skip
        click.echo(f"{label + ':':<10} {value}")


@model.command("list")
@click.option(
    "--token-id", help="Only versions registered for this token (else the latest of every model)."
)
@_with_registry_options
@_friendly
def list_models(
    token_id: str | None, tracking_uri: str | None, api_key: str | None, as_json: bool
) -> None:
    """List models: every version for a token, or the latest version of each model.

    Example: hokusai model list --token-id LSCOR
    """
    registry = _registry(tracking_uri, api_key)
    models = registry.list_models_by_token(token_id) if token_id else registry.list_models()
    if as_json:
        click.echo(json.dumps([_as_dict(m) for m in models], indent=2))
        return
    if not models:
        click.echo(
            f"No models registered for token {token_id}." if token_id else "No models registered."
        )
    for found in models:
        click.echo(_describe(found))
