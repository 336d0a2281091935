"""MLflow model-version plumbing behind `ModelRegistry` (internal)."""

from __future__ import annotations

import json
import time
from typing import Any

from hokusai.core.results import TAG_ROLE, TAG_TOKEN_ID
from hokusai.errors import ModelNotFoundError, RegistrationError

ALIAS_HISTORY_TAG = "hokusai_promotions_{alias}"
MAX_HISTORY = 50
READY_TIMEOUT = 60.0


def quote(value: str) -> str:
    """Escape a value for an MLflow filter string.

    Examples:
        >>> quote("it's")
        "it\\\\'s"
    """
    return value.replace("'", "\\'")


def resolve_source(client: Any, model_uri: str) -> tuple[str, str | None, str | None]:
    """(source, run id, logged-model id) for a model URI, as ``mlflow.register_model``."""
    if model_uri.startswith("models:/m-"):
        model_id = model_uri.removeprefix("models:/").split("/")[0]
        logged = client.get_logged_model(model_id)
        return f"models:/{model_id}", logged.source_run_id, model_id
    if model_uri.startswith("runs:/"):
        run_id, _, artifact_path = model_uri.removeprefix("runs:/").partition("/")
        run = client.get_run(run_id)
        logged = client.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run_id}' AND name = '{quote(artifact_path)}'",
        )
        if logged:
            return f"models:/{logged[0].model_id}", run_id, logged[0].model_id
        return f"{run.info.artifact_uri}/{artifact_path}", run_id, None
    return model_uri, None, None


def versions_of(client: Any, model_name: str) -> list[Any]:
    """Every version of ``model_name`` (empty when the model does not exist)."""
    try:
        return list(client.search_model_versions(f"name = '{quote(model_name)}'"))
    except Exception as exc:
        if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
            return []
        raise


def find_existing(client: Any, model_name: str, source: str, token_id: str, role: str) -> Any:
    """The version registered from ``source`` for ``token_id`` with ``role``, if any."""
    for version in versions_of(client, model_name):
        tags = version.tags or {}
        same_role = tags.get(TAG_ROLE, "tokenized") == role
        if version.source == source and tags.get(TAG_TOKEN_ID, "") == token_id and same_role:
            return version
    return None


def ensure_registered_model(client: Any, model_name: str) -> bool:
    """Create the registered model unless it exists; True when it was created now."""
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(model_name)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
        return False
    return True


def await_ready(client: Any, version: Any, timeout: float = READY_TIMEOUT) -> Any:
    """Wait until the version is ``READY``; raise if registration failed or hangs."""
    deadline = time.monotonic() + timeout
    while str(version.status) != "READY":
        if str(version.status) == "FAILED_REGISTRATION" or time.monotonic() > deadline:
            raise RegistrationError(
                f"Version {version.version} of {version.name} did not become READY "
                f"(status {version.status}): {version.status_message or 'no details'}."
            )
        time.sleep(0.5)
        version = client.get_model_version(version.name, version.version)
    return version


def delete_quietly(client: Any, model_name: str, version: str) -> Exception | None:
    """Delete a version; the exception if that failed too, else ``None``."""
    try:
        client.delete_model_version(model_name, version)
    except Exception as exc:
        return exc
    return None


def get_version(client: Any, model_name: str, version: str | int | None) -> Any:
    """A version of ``model_name``: the given one, or the newest."""
    if version is not None:
        return client.get_model_version(model_name, str(version))
    versions = client.search_model_versions(
        f"name = '{quote(model_name)}'", order_by=["version_number DESC"], max_results=1
    )
    if not versions:
        raise ModelNotFoundError(
            f"No registered model named {model_name!r}; register one with "
            "register_tokenized_model() or `hokusai model register`."
        )
    return versions[0]


def alias_history(registered_model: Any, alias: str) -> list[str]:
    """The versions ``alias`` was promoted to, oldest first, from the model's tag."""
    raw = (registered_model.tags or {}).get(ALIAS_HISTORY_TAG.format(alias=alias), "[]")
    try:
        history = json.loads(raw)
    except ValueError:
        return []
    return [str(item) for item in history if isinstance(item, str | int)]


def save_alias_history(client: Any, model_name: str, alias: str, history: list[str]) -> None:
    """Store the promotion history of ``alias`` in a registered-model tag."""
    client.set_registered_model_tag(
        model_name, ALIAS_HISTORY_TAG.format(alias=alias), json.dumps(history[-MAX_HISTORY:])
    )


def run_metrics(client: Any, run_id: str | None, cache: dict[str, dict[str, float]]) -> dict:
    """The metrics of ``run_id`` ({} without a run, or if the run was deleted)."""
    if not run_id:
        return {}
    if run_id not in cache:
        try:
            cache[run_id] = dict(client.get_run(run_id).data.metrics)
        except Exception as exc:
            if getattr(exc, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
                raise
            cache[run_id] = {}
    return cache[run_id]
