"""The one exception hierarchy of the Hokusai SDK.

Every error says what was wrong and what to do about it. Catch
:class:`HokusaiError` to handle them all.

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
        >>> from hokusai.errors import AuthenticationError, HokusaiError
        >>> issubclass(AuthenticationError, HokusaiError)
        True
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
        >>> from hokusai.errors import RegistryNotFoundError, HokusaiError
        >>> issubclass(RegistryNotFoundError, HokusaiError)
        True
    """


class ModelNotFoundError(HokusaiError, LookupError):
    """The registered model or version does not exist.

    Examples:
        >>> from hokusai.errors import ModelNotFoundError
        >>> issubclass(ModelNotFoundError, LookupError)
        True
    """


class RegistryUnavailableError(HokusaiError):
    """The registry could not be reached, or answered 5xx / timed out.

    Examples:
        >>> from hokusai.errors import RegistryUnavailableError, HokusaiError
        >>> issubclass(RegistryUnavailableError, HokusaiError)
        True
    """


class RegistrationError(HokusaiError):
    """A registration failed part-way; nothing was left half-registered.

    Examples:
        >>> from hokusai.errors import RegistrationError, HokusaiError
        >>> issubclass(RegistrationError, HokusaiError)
        True
    """


class PromotionError(HokusaiError):
    """An alias could not be moved (e.g. there is nothing to roll back to).

    Examples:
        >>> from hokusai.errors import PromotionError, HokusaiError
        >>> issubclass(PromotionError, HokusaiError)
        True
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
