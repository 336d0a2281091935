"""The one exception hierarchy of the Hokusai SDK.

Every error says what was wrong and what to do about it. Catch
`HokusaiError` to handle them all.

Examples:
    >>> from hokusai.errors import HokusaiError, ValidationError
    >>> issubclass(ValidationError, HokusaiError)
    True
    >>> issubclass(ValidationError, ValueError)
    True
"""

from __future__ import annotations


class HokusaiError(Exception):
    """Base class of every error raised by the Hokusai SDK.

    Examples:
        >>> from hokusai.errors import HokusaiError
        >>> str(HokusaiError("what went wrong; what to do"))
        'what went wrong; what to do'
    """


class ConfigurationError(HokusaiError):
    """The SDK could not be configured (bad URI, unreadable config file, …).

    Examples:
        >>> from hokusai.config import resolve_tracking_uri
        >>> from hokusai.errors import ConfigurationError
        >>> try:
        ...     resolve_tracking_uri("registry.hokus.ai", environ={})
        ... except ConfigurationError as error:
        ...     print(str(error)[:47])
        The tracking URI 'registry.hokus.ai' (from argu
    """


class ValidationError(HokusaiError, ValueError):
    """An argument was rejected before anything was sent to the registry.

    Examples:
        >>> from hokusai.core.validation import check_token_id
        >>> from hokusai.errors import ValidationError
        >>> try:
        ...     check_token_id("not valid!")
        ... except ValidationError as error:
        ...     print(error)
        token_id 'not valid!' is not valid: use 1-64 letters, digits or hyphens, e.g. token_id='LSCOR'.
    """


class AuthenticationError(HokusaiError):
    """The registry did not accept the API key (missing, unknown, revoked or expired).

    Examples:
        >>> from mlflow.exceptions import RestException
        >>> from hokusai._translate import translate
        >>> answer = RestException({"error_code": "UNAUTHENTICATED", "message": "API key required"})
        >>> print(translate(answer, "http://127.0.0.1:5000/api/mlflow", api_key=None))
        Authentication failed at http://127.0.0.1:5000/api/mlflow: no API key is configured. Set a valid key with `export HOKUSAI_API_KEY=<key>` or `hokusai login --api-key <key>` (or pass api_key=...).
    """


class PermissionDeniedError(HokusaiError):
    """The API key is valid but lacks the scope the call needs.

    ``scope`` names the missing scope (``"read"``, ``"write"`` or ``"admin"``) when the
    registry said which one.

    Examples:
        >>> from hokusai.errors import PermissionDeniedError
        >>> PermissionDeniedError("needs write", scope="write").scope
        'write'
    """

    def __init__(self, message: str, scope: str | None = None) -> None:
        super().__init__(message)
        self.scope = scope


class RegistryNotFoundError(HokusaiError):
    """The tracking URI does not point at a Hokusai registry (HTTP 404 on the API).

    Examples:
        >>> from mlflow.exceptions import MlflowException
        >>> from hokusai._translate import translate
        >>> proxy_404 = MlflowException("INTERNAL_ERROR: Response: {'detail': 'Not Found'}")
        >>> print(translate(proxy_404, "http://127.0.0.1:5000/mlflow-typo"))  # doctest: +ELLIPSIS
        http://127.0.0.1:5000/mlflow-typo is not the MLflow API of a Hokusai registry (HTTP 404; ...
    """


class ModelNotFoundError(HokusaiError, LookupError):
    """The registered model or version does not exist (also a ``LookupError``).

    Examples:
        >>> from hokusai.core._versions import get_version
        >>> class EmptyRegistry:  # a registry client that finds no versions
        ...     def search_model_versions(self, *args, **kwargs):
        ...         return []
        >>> get_version(EmptyRegistry(), "lead-scorer", version=None)
        Traceback (most recent call last):
        ...
        hokusai.errors.ModelNotFoundError: No registered model named 'lead-scorer'; register one with register_tokenized_model() or `hokusai model register`.
    """


class RegistryUnavailableError(HokusaiError):
    """The registry could not be reached, or answered 5xx / timed out.

    Examples:
        >>> from hokusai import ModelRegistry
        >>> nothing_listens = ModelRegistry("http://127.0.0.1:9/api/mlflow", api_key="hk_test_x")
        >>> try:
        ...     nothing_listens.list_models()
        ... except RegistryUnavailableError as error:
        ...     print(str(error)[:104])
        Cannot connect to the registry at http://127.0.0.1:9/api/mlflow (URI from argument): connection refused.
    """


class RegistrationError(HokusaiError):
    """A registration failed part-way; nothing was left half-registered.

    Examples:
        >>> from types import SimpleNamespace
        >>> from hokusai.core._versions import await_ready
        >>> failed = SimpleNamespace(name="lead-scorer", version="3", status="FAILED_REGISTRATION",
        ...                          status_message="the upload failed")
        >>> await_ready(None, failed)
        Traceback (most recent call last):
        ...
        hokusai.errors.RegistrationError: Version 3 of lead-scorer did not become READY (status FAILED_REGISTRATION): the upload failed.
    """


class PromotionError(HokusaiError):
    """An alias could not be moved (e.g. there is nothing to roll back to).

    Examples:
        >>> from types import SimpleNamespace
        >>> from hokusai.core._lineage import rollback
        >>> class NeverPromoted:  # a registry client whose model has no alias history
        ...     def get_registered_model(self, name):
        ...         return SimpleNamespace(aliases={}, tags={})
        >>> rollback(NeverPromoted(), "lead-scorer", "production")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hokusai.errors.PromotionError: Cannot roll back lead-scorer@production: there is no earlier promoted version (current: unset). ...
    """


class UnsupportedCallError(HokusaiError, AttributeError):
    """A method or function from an old guide that the SDK does not have.

    The message names the call to use instead.

    Examples:
        >>> from hokusai import ModelRegistry
        >>> registry = ModelRegistry(tracking_uri="http://127.0.0.1:5000/api/mlflow")
        >>> registry.promote_model("lead-scorer", 2)
        Traceback (most recent call last):
        ...
        hokusai.errors.UnsupportedCallError: ModelRegistry has no method 'promote_model': use registry.promote(model_name, version, alias='production').
    """


class UnsupportedImportError(HokusaiError, ImportError):
    """A name imported from a module of an old guide; the message names the right import.

    Examples:
        >>> try:
        ...     from hokusai import setup
        ... except ImportError as error:
        ...     print(type(error).__name__, str(error)[:37])
        UnsupportedImportError hokusai.setup is not part of this SDK
    """


class UnsupportedModuleError(UnsupportedImportError, ModuleNotFoundError):
    """A module of an old guide that this SDK does not have; the message says what to use.

    A ``ModuleNotFoundError``, so tools that skip missing modules (``pytest.importorskip``)
    treat it as one.

    Examples:
        >>> try:
        ...     import hokusai.core.ab_testing
        ... except ModuleNotFoundError as error:
        ...     print(type(error).__name__, error.name)
        UnsupportedModuleError hokusai.core.ab_testing
    """


__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "HokusaiError",
    "ModelNotFoundError",
    "PermissionDeniedError",
    "PromotionError",
    "RegistrationError",
    "RegistryNotFoundError",
    "RegistryUnavailableError",
    "UnsupportedCallError",
    "UnsupportedImportError",
    "UnsupportedModuleError",
    "ValidationError",
]
