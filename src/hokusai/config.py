"""Where the SDK, the CLI and the MLflow plugin find the API key and the registry URL.

One precedence rule for every entry point (``ModelRegistry``, ``ExperimentManager``,
the ``hokusai`` CLI and the MLflow header plugin):

1. an explicit argument,
2. the environment (``HOKUSAI_API_KEY``, ``MLFLOW_TRACKING_URI``, ``HOKUSAI_API_ENDPOINT``),
3. the config file (``~/.hokusai/config.toml``, or the path in ``HOKUSAI_CONFIG``),
4. the default, ``https://registry.hokus.ai/api/mlflow`` (the API key has no default).

Every resolved value remembers where it came from, so ``hokusai doctor`` and error
messages can say so.

Examples:
    >>> from hokusai.config import resolve_tracking_uri
    >>> resolve_tracking_uri("http://127.0.0.1:5000/api/mlflow", environ={})
    Setting(value='http://127.0.0.1:5000/api/mlflow', source='argument')
    >>> resolve_tracking_uri(None, environ={"HOKUSAI_API_ENDPOINT": "http://h:5000/api"})
    Setting(value='http://h:5000/api/mlflow', source='environment (HOKUSAI_API_ENDPOINT)')
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hokusai._legacy import module_getattr
from hokusai.errors import ConfigurationError, UnsupportedImportError


@dataclass(frozen=True)
class EnvironmentVariable:
    """An environment variable the SDK reads; the reference page is generated from these.

    Examples:
        >>> from hokusai.config import SDK_ENVIRONMENT_VARIABLES
        >>> [variable.name for variable in SDK_ENVIRONMENT_VARIABLES]
        ['HOKUSAI_API_KEY', 'MLFLOW_TRACKING_URI', 'HOKUSAI_API_ENDPOINT', 'HOKUSAI_CONFIG']
    """

    name: str
    description: str
    default: str | None = None


API_KEY = EnvironmentVariable(
    "HOKUSAI_API_KEY",
    "API key sent as `X-API-Key` by the SDK, the CLI and the MLflow plugin.",
)
TRACKING_URI = EnvironmentVariable(
    "MLFLOW_TRACKING_URI",
    "The registry's MLflow URL, e.g. `http://127.0.0.1:5000/api/mlflow`. Wins over "
    "`HOKUSAI_API_ENDPOINT`.",
)
API_ENDPOINT = EnvironmentVariable(
    "HOKUSAI_API_ENDPOINT",
    "The registry's API root, e.g. `http://127.0.0.1:5000/api`; the tracking URI is this "
    "plus `/mlflow`.",
    "https://registry.hokus.ai/api",
)
DEFAULT_CONFIG_FILE = "~/.hokusai/config.toml"
CONFIG_FILE = EnvironmentVariable(
    "HOKUSAI_CONFIG",
    "Path of the config file written by `hokusai login`.",
    DEFAULT_CONFIG_FILE,
)
SDK_ENVIRONMENT_VARIABLES = (API_KEY, TRACKING_URI, API_ENDPOINT, CONFIG_FILE)

DEFAULT_API_ENDPOINT = "https://registry.hokus.ai/api"
DEFAULT_TRACKING_URI = DEFAULT_API_ENDPOINT + "/mlflow"


@dataclass(frozen=True)
class Setting:
    """A resolved value and where it came from.

    Examples:
        >>> resolve_api_key(environ={"HOKUSAI_API_KEY": "hk_test_x"}).source
        'environment (HOKUSAI_API_KEY)'
    """

    value: str
    source: str


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file's path: ``$HOKUSAI_CONFIG`` or ``~/.hokusai/config.toml``.

    Examples:
        >>> config_path({"HOKUSAI_CONFIG": "/etc/hokusai.toml"})
        PosixPath('/etc/hokusai.toml')
    """
    environ = os.environ if environ is None else environ
    return Path(environ.get(CONFIG_FILE.name) or DEFAULT_CONFIG_FILE).expanduser()


def read_config_file(path: Path) -> dict[str, str]:
    """Read the TOML config file; a missing file is an empty config.

    Examples:
        >>> read_config_file(Path("/nonexistent/config.toml"))
        {}
    """
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(
            f"Cannot read the Hokusai config file {path}: {exc}. "
            f"Fix or delete it, or point {CONFIG_FILE.name} at another file."
        ) from exc
    return {key: str(value) for key, value in data.items() if isinstance(value, str | int)}


def _from_file(key: str, environ: Mapping[str, str]) -> Setting | None:
    path = config_path(environ)
    value = read_config_file(path).get(key)
    return Setting(value, f"config file ({path})") if value else None


def endpoint_to_tracking_uri(endpoint: str) -> str:
    """``http://h/api`` → ``http://h/api/mlflow``.

    Examples:
        >>> endpoint_to_tracking_uri("http://127.0.0.1:5000/api/")
        'http://127.0.0.1:5000/api/mlflow'
    """
    return endpoint.rstrip("/") + "/mlflow"


def resolve_api_key(
    api_key: str | None = None, environ: Mapping[str, str] | None = None
) -> Setting | None:
    """The API key by the precedence rule, or ``None`` when none is configured.

    Examples:
        >>> resolve_api_key("hk_arg", environ={"HOKUSAI_API_KEY": "hk_env"})
        Setting(value='hk_arg', source='argument')
        >>> resolve_api_key(environ={"HOKUSAI_CONFIG": "/nonexistent.toml"}) is None
        True
    """
    environ = os.environ if environ is None else environ
    if api_key:
        return Setting(api_key, "argument")
    if environ.get(API_KEY.name):
        return Setting(environ[API_KEY.name], f"environment ({API_KEY.name})")
    return _from_file("api_key", environ)


def resolve_tracking_uri(
    tracking_uri: str | None = None, environ: Mapping[str, str] | None = None
) -> Setting:
    """The registry's MLflow URL by the precedence rule.

    Examples:
        >>> resolve_tracking_uri(environ={"HOKUSAI_CONFIG": "/nonexistent.toml"})
        Setting(value='https://registry.hokus.ai/api/mlflow', source='default')
    """
    environ = os.environ if environ is None else environ
    if tracking_uri:
        return Setting(_checked_uri(tracking_uri, "argument"), "argument")
    for variable in (TRACKING_URI, API_ENDPOINT):
        if environ.get(variable.name):
            uri = environ[variable.name]
            if variable is API_ENDPOINT:
                uri = endpoint_to_tracking_uri(uri)
            source = f"environment ({variable.name})"
            return Setting(_checked_uri(uri, source), source)
    from_file = _from_file("tracking_uri", environ)
    if from_file:
        return Setting(_checked_uri(from_file.value, from_file.source), from_file.source)
    endpoint = _from_file("api_endpoint", environ)
    if endpoint:
        return Setting(endpoint_to_tracking_uri(endpoint.value), endpoint.source)
    return Setting(DEFAULT_TRACKING_URI, "default")


def check_tracking_uri(uri: str, source: str = "argument") -> str:
    """``uri`` without a trailing slash, or a `ConfigurationError` if not http(s).

    Examples:
        >>> check_tracking_uri("http://127.0.0.1:5000/api/mlflow/")
        'http://127.0.0.1:5000/api/mlflow'
    """
    return _checked_uri(uri, source)


def _checked_uri(uri: str, source: str) -> str:
    if not uri.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"The tracking URI {uri!r} (from {source}) is not an http(s) URL. "
            "Use the registry's MLflow URL, e.g. http://127.0.0.1:5000/api/mlflow "
            "(printed by `hokusai local up`)."
        )
    return uri.rstrip("/")


def write_config_file(
    values: Mapping[str, str], path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """Merge ``values`` into the config file, created with 0600 permissions.

    Used by ``hokusai login``; the directory is created (0700) when missing. Returns
    the file's path.

    Examples:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "config.toml"
        >>> written = write_config_file({"api_key": "hk_test_x"}, path)
        >>> oct(written.stat().st_mode & 0o777), read_config_file(written)
        ('0o600', {'api_key': 'hk_test_x'})
    """
    path = config_path(environ) if path is None else Path(path).expanduser()
    merged = {**read_config_file(path), **{k: v for k, v in values.items() if v}}
    body = "".join(f"{key} = {json.dumps(str(value))}\n" for key, value in sorted(merged.items()))
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("# Written by `hokusai login`; keep it private (it holds your API key).\n")
        handle.write(body)
    os.chmod(path, 0o600)
    return path


# Names of old guides (setup_mlflow_auth, get_mlflow_status…) say what to use instead. This
# is a plain module: `from hokusai.config import <name>` only sees __getattr__, so a gone
# name raises an ImportError here (see hokusai._legacy).
__getattr__ = module_getattr(__name__, UnsupportedImportError)
