"""The one exception hierarchy of the Hokusai SDK.

Every error says what was wrong and what to do about it. Catch
:class:`HokusaiError` to handle them all.

Example:
    >>> from hokusai.errors import HokusaiError, ValidationError
    >>> issubclass(ValidationError, HokusaiError)
    True
    >>> issubclass(ValidationError, ValueError)
    True
"""

from __future__ import annotations


class HokusaiError(Exception):
    """Base class of every error raised by the Hokusai SDK."""


class ConfigurationError(HokusaiError):
    """The SDK could not be configured (bad URI, unreadable config file, …)."""


class ValidationError(HokusaiError, ValueError):
    """An argument was rejected before anything was sent to the registry."""


class AuthenticationError(HokusaiError):
    """The registry did not accept the API key (missing, unknown, revoked or expired)."""


class PermissionDeniedError(HokusaiError):
    """The API key is valid but lacks the scope the call needs."""


class RegistryNotFoundError(HokusaiError):
    """The tracking URI does not point at a Hokusai registry (HTTP 404 on the API)."""


class ModelNotFoundError(HokusaiError, LookupError):
    """The registered model or version does not exist."""


class RegistryUnavailableError(HokusaiError):
    """The registry could not be reached, or answered 5xx / timed out."""


class RegistrationError(HokusaiError):
    """A registration failed part-way; nothing was left half-registered."""


__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "HokusaiError",
    "ModelNotFoundError",
    "PermissionDeniedError",
    "RegistrationError",
    "RegistryNotFoundError",
    "RegistryUnavailableError",
    "ValidationError",
]
