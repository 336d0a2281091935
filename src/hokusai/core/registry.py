"""``ModelRegistry``: register tokenized models in the Hokusai registry (MLflow)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from hokusai._translate import bound_retries, translated_errors
from hokusai.auth import using_api_key
from hokusai.config import Setting, resolve_api_key, resolve_tracking_uri
from hokusai.core import validation as check
from hokusai.core.results import (
    TAG_BASELINE,
    TAG_METRIC,
    TAG_STATUS,
    TAG_TOKEN_ID,
    TokenizedModel,
)
from hokusai.errors import ModelNotFoundError, RegistrationError


class ModelRegistry:
    """The Hokusai model registry, reached through its MLflow API.

    Args:
        tracking_uri: the registry's MLflow URL. Defaults to ``MLFLOW_TRACKING_URI``,
            then ``HOKUSAI_API_ENDPOINT`` + ``/mlflow``, then the config file, then
            ``https://registry.hokus.ai/api/mlflow``.
        api_key: the API key. Defaults to ``HOKUSAI_API_KEY``, then the config file.

    Example:
        >>> from hokusai import ModelRegistry
        >>> registry = ModelRegistry(tracking_uri="http://127.0.0.1:5000/api/mlflow", api_key="hk_test_x")
        >>> registry.tracking_uri
        'http://127.0.0.1:5000/api/mlflow'
    """

    def __init__(self, tracking_uri: str | None = None, api_key: str | None = None) -> None:
        from mlflow import MlflowClient

        self._tracking_uri: Setting = resolve_tracking_uri(tracking_uri)
        self._api_key: Setting | None = resolve_api_key(api_key)
        bound_retries()
        self._client = MlflowClient(
            tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
        )

    @property
    def tracking_uri(self) -> str:
        """The registry URL this object talks to."""
        return self._tracking_uri.value

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        key = self._api_key.value if self._api_key else None
        with using_api_key(key), translated_errors(self.tracking_uri):
            yield

    def register_tokenized_model(
        self,
        model_uri: str,
        model_name: str,
        token_id: str,
        metric_name: str,
        baseline_value: float,
        additional_tags: dict[str, str] | None = None,
    ) -> TokenizedModel:
        """Register the model at ``model_uri`` as a new version of ``model_name``.

        The version is tagged with the token id, the benchmark metric and its baseline.
        Calling it again with the same model, name and token returns the existing
        version instead of creating a duplicate.

        Args:
            model_uri: where the model is, e.g. ``model_info.model_uri`` from
                ``mlflow.sklearn.log_model`` (``models:/m-…``) or ``runs:/<run>/model``.
            model_name: the registered model's name, e.g. ``"lead-scorer"``.
            token_id: the Hokusai token, 1-64 letters, digits or hyphens.
            metric_name: the benchmark metric, e.g. ``"accuracy"``.
            baseline_value: the metric's baseline, a number.
            additional_tags: more version tags.

        Raises:
            ValidationError: an argument is invalid (nothing was sent).
        """
        check.check_name(model_uri, "model_uri")
        check.check_name(model_name, "model_name")
        check.check_token_id(token_id)
        check.check_name(metric_name, "metric_name")
        baseline = check.check_number(baseline_value, "baseline_value")
        tags = {
            **check.check_tags(additional_tags),
            TAG_TOKEN_ID: token_id,
            TAG_METRIC: metric_name,
            TAG_BASELINE: repr(baseline),
            TAG_STATUS: "registered",
        }
        with self._call():
            source, run_id, model_id = self._resolve_source(model_uri)
            existing = self._find_existing(model_name, source, token_id)
            if existing is not None:
                return TokenizedModel.from_model_version(existing)
            self._ensure_registered_model(model_name)
            # Tags travel in the create call itself: a version exists fully tagged or not at all.
            version = self._client.create_model_version(
                model_name, source, run_id=run_id, tags=tags, model_id=model_id
            )
        if version.tags.get(TAG_TOKEN_ID) != token_id:  # pragma: no cover - server contract
            raise RegistrationError(f"Version {version.version} of {model_name} lost its tags.")
        return TokenizedModel.from_model_version(version)

    def get_tokenized_model(self, model_name: str, version: str | int | None = None) -> TokenizedModel:
        """A registered version of ``model_name``; the latest one when ``version`` is omitted.

        Raises:
            ModelNotFoundError: no such model or version.
        """
        check.check_name(model_name, "model_name")
        with self._call():
            if version is None:
                versions = self._client.search_model_versions(
                    f"name = '{_quote(model_name)}'", order_by=["version_number DESC"], max_results=1
                )
                if not versions:
                    raise ModelNotFoundError(
                        f"No registered model named {model_name!r} at {self.tracking_uri}; "
                        "register one with register_tokenized_model()."
                    )
                return TokenizedModel.from_model_version(versions[0])
            return TokenizedModel.from_model_version(
                self._client.get_model_version(model_name, str(version))
            )

    def _resolve_source(self, model_uri: str) -> tuple[str, str | None, str | None]:
        """(source, run id, logged-model id) for a model URI, as ``mlflow.register_model``."""
        if model_uri.startswith("models:/m-"):
            model_id = model_uri.removeprefix("models:/").split("/")[0]
            logged = self._client.get_logged_model(model_id)
            return f"models:/{model_id}", logged.source_run_id, model_id
        if model_uri.startswith("runs:/"):
            run_id, _, artifact_path = model_uri.removeprefix("runs:/").partition("/")
            run = self._client.get_run(run_id)
            logged = self._client.search_logged_models(
                experiment_ids=[run.info.experiment_id],
                filter_string=f"source_run_id = '{run_id}' AND name = '{_quote(artifact_path)}'",
            )
            if logged:
                return f"models:/{logged[0].model_id}", run_id, logged[0].model_id
            return f"{run.info.artifact_uri}/{artifact_path}", run_id, None
        return model_uri, None, None

    def _find_existing(self, model_name: str, source: str, token_id: str):
        try:
            versions = self._client.search_model_versions(f"name = '{_quote(model_name)}'")
        except Exception as exc:  # a registered model that does not exist yet
            if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        for version in versions:
            if version.source == source and version.tags.get(TAG_TOKEN_ID) == token_id:
                return version
        return None

    def _ensure_registered_model(self, model_name: str) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self._client.create_registered_model(model_name)
        except MlflowException as exc:
            if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
                raise


def _quote(value: str) -> str:
    return value.replace("'", "\\'")
