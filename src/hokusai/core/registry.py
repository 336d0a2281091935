"""``ModelRegistry``: register tokenized models in the Hokusai registry (MLflow)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hokusai._client import RegistryClient
from hokusai.core import _lineage as lineage
from hokusai.core import _versions as mv
from hokusai.core import validation as check
from hokusai.core._compat import OLD_METHODS, legacy_baseline, legacy_keywords, unsupported
from hokusai.core._upload import UPLOAD_EXPERIMENT
from hokusai.core.results import (
    ROLE_BASELINE,
    ROLE_TOKENIZED,
    TAG_BASELINE,
    TAG_METRIC,
    TAG_ROLE,
    TAG_STATUS,
    TAG_TOKEN_ID,
    ModelLineage,
    Promotion,
    TokenizedModel,
)
from hokusai.errors import PermissionDeniedError, RegistrationError

DEFAULT_ALIAS = "production"
BASELINE_ALIAS = "baseline"


class ModelRegistry(RegistryClient):
    """The Hokusai model registry, reached through its MLflow API.

    Args:
        tracking_uri: the registry's MLflow URL. Defaults to ``MLFLOW_TRACKING_URI``,
            then ``HOKUSAI_API_ENDPOINT`` + ``/mlflow``, then the config file, then
            ``https://registry.hokus.ai/api/mlflow``.
        api_key: the API key. Defaults to ``HOKUSAI_API_KEY``, then the config file.

    Examples:
        >>> from hokusai import ModelRegistry
        >>> registry = ModelRegistry(tracking_uri="http://127.0.0.1:5000/api/mlflow", api_key="hk_test_x")
        >>> registry.tracking_uri
        'http://127.0.0.1:5000/api/mlflow'
    """

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes: name the right method for old-guide calls.
        raise unsupported(type(self).__name__, name, OLD_METHODS)

    @legacy_keywords
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
        version instead of creating a duplicate; if a step fails after the version was
        created, the version is deleted again.

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

        Examples:
            >>> model = registry.register_tokenized_model(
            ...     info.model_uri, "lead-scorer", "LSCOR", "accuracy", 0.85
            ... )
            >>> print(model.name, model.version, model.token_id, model.baseline_value)
            lead-scorer 1 LSCOR 0.85
        """
        check.check_name(model_uri, "model_uri")
        check.check_name(model_name, "model_name")
        check.check_token_id(token_id)
        check.check_name(metric_name, "metric_name")
        baseline = check.check_number(baseline_value, "baseline_value")
        tags = self._tags(additional_tags, token_id, metric_name, baseline, ROLE_TOKENIZED)
        return self._register(model_uri, model_name, token_id, ROLE_TOKENIZED, tags)

    @legacy_baseline
    @legacy_keywords
    def register_baseline(
        self,
        model_uri: str,
        model_name: str,
        metric_name: str,
        metric_value: float,
        token_id: str | None = None,
        additional_tags: dict[str, str] | None = None,
    ) -> TokenizedModel:
        """Register the baseline model a token's improvements are measured against.

        Creates a version tagged ``hokusai_role=baseline`` with the metric and its
        value, and points the ``baseline`` alias at it (``models:/<name>@baseline``).
        Idempotent like `register_tokenized_model`.

        Args:
            model_uri: where the model is (``models:/m-…`` or ``runs:/<run>/model``).
            model_name: the registered model's name.
            metric_name: the benchmark metric, e.g. ``"accuracy"``.
            metric_value: the baseline model's value of that metric, a number.
            token_id: the Hokusai token the baseline belongs to, if any.
            additional_tags: more version tags.

        Examples:
            >>> baseline = registry.register_baseline(
            ...     info.model_uri, "lead-scorer-baseline", "accuracy", 0.85, token_id="LSBASE"
            ... )
            >>> print(baseline.role, baseline.aliases)
            baseline ('baseline',)
        """
        check.check_name(model_uri, "model_uri")
        check.check_name(model_name, "model_name")
        if token_id is not None:
            check.check_token_id(token_id)
        check.check_name(metric_name, "metric_name")
        value = check.check_number(metric_value, "metric_value")
        tags = self._tags(additional_tags, token_id or "", metric_name, value, ROLE_BASELINE)

        def point_alias(version: Any) -> None:
            self._client.set_registered_model_alias(model_name, BASELINE_ALIAS, version.version)

        registered = self._register(
            model_uri, model_name, token_id or "", ROLE_BASELINE, tags, point_alias
        )
        if BASELINE_ALIAS not in registered.aliases:  # an existing version found on retry
            with self.session():
                point_alias(registered)
                return TokenizedModel.from_model_version(
                    self._client.get_model_version(model_name, registered.version)
                )
        return registered

    @staticmethod
    def _tags(extra: Any, token_id: str, metric: str, value: float, role: str) -> dict[str, str]:
        return {
            **check.check_tags(extra),
            TAG_TOKEN_ID: token_id,
            TAG_METRIC: metric,
            TAG_BASELINE: repr(value),
            TAG_STATUS: "registered",
            TAG_ROLE: role,
        }

    def _register(
        self,
        model_uri: str,
        model_name: str,
        token_id: str,
        role: str,
        tags: dict[str, str],
        after_create: Callable[[Any], None] | None = None,
    ) -> TokenizedModel:
        with self.session():
            source, run_id, model_id = mv.resolve_source(self._client, model_uri)
            # A model created just now has no versions to reuse: skip the search (2 calls
            # for a new model, as with the raw client; 3 for a retry or a new version).
            if not mv.ensure_registered_model(self._client, model_name):
                existing = mv.find_existing(self._client, model_name, source, token_id, role)
                if existing is not None:
                    return TokenizedModel.from_model_version(existing)
            # Tags travel in the create call itself: a version exists fully tagged or not at all.
            version = self._create_once(model_name, source, run_id, model_id, tags, token_id, role)
        try:
            with self.session():
                version = mv.await_ready(self._client, version)
                if after_create is not None:
                    after_create(version)
                    version = self._client.get_model_version(model_name, version.version)
        except BaseException as exc:
            self._undo(model_name, str(version.version), exc)
            raise
        return TokenizedModel.from_model_version(version)

    def _create_once(
        self,
        model_name: str,
        source: str,
        run_id: str | None,
        model_id: str | None,
        tags: dict[str, str],
        token_id: str,
        role: str,
    ) -> Any:
        """``create_model_version`` sent once: the client's silent retry of a POST whose
        answer was lost registers the version twice. The failed call may still have
        created it (fully tagged), so look for it before giving up."""
        try:
            with self._sent_once():
                return self._client.create_model_version(
                    model_name,
                    source,
                    run_id=run_id,
                    tags=tags,
                    model_id=model_id,
                    await_creation_for=0,
                )
        except Exception:
            try:
                existing = mv.find_existing(self._client, model_name, source, token_id, role)
            except Exception:
                existing = None
            if existing is None:
                raise
            return existing

    def _undo(self, model_name: str, version: str, exc: BaseException) -> None:
        """Delete a version whose registration failed part-way; re-raise with the story."""
        with self._connected():
            failed_delete = mv.delete_quietly(self._client, model_name, version)
        if not isinstance(exc, Exception):
            return  # KeyboardInterrupt & co.: cleaned up, propagate as is
        error = self._translate(exc)
        if failed_delete is not None:
            raise RegistrationError(
                f"{error} Registering {model_name} failed after version {version} was created, "
                f"and deleting it failed too ({failed_delete}); delete it with "
                f"MlflowClient().delete_model_version({model_name!r}, {version!r})."
            ) from exc
        note = (
            f" Version {version} of {model_name} was created, then deleted again: nothing is "
            "half-registered and calling again is safe."
        )
        if isinstance(error, PermissionDeniedError):
            raise PermissionDeniedError(f"{error}{note}", scope=error.scope) from exc
        raise type(error)(f"{error}{note}") from exc

    @legacy_keywords
    def get_tokenized_model(
        self, model_name: str, version: str | int | None = None
    ) -> TokenizedModel:
        """A registered version of ``model_name``; the latest one when ``version`` is omitted.

        Raises:
            ModelNotFoundError: no such model or version.

        Examples:
            >>> for logged in (info, retrained):
            ...     _ = registry.register_tokenized_model(
            ...         logged.model_uri, "lead-scorer-two", "LSCOR", "accuracy", 0.85
            ...     )
            >>> registry.get_tokenized_model("lead-scorer-two").version
            '2'
            >>> registry.get_tokenized_model("lead-scorer-two", version=1).model_uri
            'models:/lead-scorer-two/1'
        """
        check.check_name(model_name, "model_name")
        with self.session():
            found = mv.get_version(self._client, model_name, version)
            aliases = self._client.get_registered_model(model_name).aliases
        return TokenizedModel.from_model_version(found, aliases)

    def list_models_by_token(self, token_id: str) -> list[TokenizedModel]:
        """Every version registered for ``token_id`` (tokenized and baseline), by name and version.

        Examples:
            >>> _ = registry.register_tokenized_model(
            ...     info.model_uri, "lead-scorer-listed", "LSLIST", "accuracy", 0.85
            ... )
            >>> for found in registry.list_models_by_token("LSLIST"):
            ...     print(found.name, found.version, found.role)
            lead-scorer-listed 1 tokenized
        """
        check.check_token_id(token_id)
        with self.session():
            found = self._client.search_model_versions(f"tags.{TAG_TOKEN_ID} = '{token_id}'")
            aliases = {
                name: self._client.get_registered_model(name).aliases
                for name in {version.name for version in found}
            }
        models = [TokenizedModel.from_model_version(v, aliases[v.name]) for v in found]
        return sorted(models, key=lambda m: (m.name, int(m.version)))

    def list_models(self) -> list[TokenizedModel]:
        """The latest version of every registered model, by name.

        Examples:
            >>> _ = registry.register_tokenized_model(
            ...     info.model_uri, "lead-scorer", "LSCOR", "accuracy", 0.85
            ... )
            >>> [found.token_id for found in registry.list_models() if found.name == "lead-scorer"]
            ['LSCOR']
        """
        with self.session():
            latest: dict[str, Any] = {}
            for version in self._client.search_model_versions(""):
                best = latest.get(version.name)
                if best is None or int(version.version) > int(best.version):
                    latest[version.name] = version
        return [TokenizedModel.from_model_version(latest[name]) for name in sorted(latest)]

    def get_model_lineage(self, model_name: str) -> ModelLineage:
        """Every version of ``model_name`` oldest first, with run ids, run metrics, baselines,
        aliases and each alias's promotion history.

        Examples:
            >>> _ = registry.register_tokenized_model(
            ...     info.model_uri, "lead-scorer-lineage", "LSCOR", "accuracy", 0.85
            ... )
            >>> lineage = registry.get_model_lineage("lead-scorer-lineage")
            >>> for entry in lineage.versions:
            ...     print(entry.version, entry.role, entry.token_id, entry.aliases)
            1 tokenized LSCOR ()
        """
        check.check_name(model_name, "model_name")
        with self.session():
            return lineage.build_lineage(self._client, model_name, DEFAULT_ALIAS)

    def promote(self, model_name: str, version: str | int, alias: str = DEFAULT_ALIAS) -> Promotion:
        """Point ``alias`` (default ``production``) at ``version`` and record it for rollback.

        Promoting the version the alias already points to changes nothing.

        Examples:
            >>> for logged in (info, retrained):
            ...     _ = registry.register_tokenized_model(
            ...         logged.model_uri, "lead-scorer-two", "LSCOR", "accuracy", 0.85
            ...     )
            >>> promotion = registry.promote("lead-scorer-two", 2)
            >>> promotion.model_uri, promotion.version
            ('models:/lead-scorer-two@production', '2')
        """
        check.check_name(model_name, "model_name")
        check.check_name(alias, "alias")
        with self.session():
            return lineage.promote(self._client, model_name, str(version), alias)

    def rollback(self, model_name: str, alias: str = DEFAULT_ALIAS) -> Promotion:
        """Move ``alias`` back to the version promoted before the current one.

        Raises:
            PromotionError: the alias was never promoted twice (nothing to go back to).

        Examples:
            >>> for logged in (info, retrained):
            ...     _ = registry.register_tokenized_model(
            ...         logged.model_uri, "lead-scorer-two", "LSCOR", "accuracy", 0.85
            ...     )
            >>> _ = registry.promote("lead-scorer-two", 1)
            >>> _ = registry.promote("lead-scorer-two", 2)
            >>> registry.rollback("lead-scorer-two").version
            '1'
        """
        check.check_name(model_name, "model_name")
        check.check_name(alias, "alias")
        with self.session():
            return lineage.rollback(self._client, model_name, alias)

    def upload_model_directory(
        self,
        model_path: str | Path,
        experiment_name: str = UPLOAD_EXPERIMENT,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> str:
        """Upload a local MLflow model directory as a logged model; returns ``models:/m-…``.

        ``model_path`` is a directory written by e.g. ``mlflow.sklearn.save_model``.
        Uploading the same content again returns the same logged model, so a retried
        ``hokusai model register --model-path`` registers no duplicate. ``progress`` is
        called after each file with (file name, bytes sent, total bytes).

        Examples:
            >>> import tempfile
            >>> folder = f"{tempfile.mkdtemp()}/lead-scorer-model"
            >>> mlflow.sklearn.save_model(model, folder, pip_requirements=["scikit-learn"])
            >>> uri = registry.upload_model_directory(folder)
            >>> uri.startswith("models:/m-")
            True
            >>> registry.register_tokenized_model(
            ...     uri, "lead-scorer-uploaded", "LSCOR", "accuracy", 0.85
            ... ).version
            '1'
        """
        from hokusai.core._upload import upload_directory

        with self.session():
            return upload_directory(
                self._client, self.tracking_uri, Path(model_path), experiment_name, progress
            )
