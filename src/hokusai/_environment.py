"""Stop at ``import hokusai``, with the fix, when the environment's MLflow cannot work.

Three distributions install files into the one ``mlflow`` import package: ``mlflow``
(the server and the flavours), ``mlflow-skinny`` (the client) and ``mlflow-tracing``.
pip lets them sit side by side at different versions: installing one over another
overwrites the files they share and says nothing (``pip check`` only reports their
dependencies). ``import mlflow`` then runs a mix of two releases: it reports one
version, and fails later in code that has nothing to do with the cause (``No module
named 'skops'`` in ``mlflow.sklearn.log_model``, for example).

The SDK depends on ``mlflow`` itself (not only on ``mlflow-skinny``), so that pip
upgrades an existing MLflow 2.x coherently; this check catches mixed or too old
installs made any other way (``--no-deps``, another tool pinning ``mlflow-skinny``).
It reads only package metadata, and ``hokusai/__init__.py`` imports this module
first: the check runs when this module is imported, before anything imports ``mlflow``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, requires, version

from packaging.requirements import Requirement
from packaging.version import Version

from hokusai.errors import HokusaiError

DISTRIBUTION = "hokusai-ml-platform"
# Every distribution that writes into the `mlflow` import package.
MLFLOW_DISTRIBUTIONS = ("mlflow", "mlflow-skinny", "mlflow-tracing")


class MlflowInstallError(HokusaiError, ImportError):
    """The installed MLflow is mixed from several releases, or older than the SDK needs.

    Examples:
        >>> issubclass(MlflowInstallError, ImportError)
        True
    """


def installed_mlflow() -> dict[str, str]:
    """``{distribution: version}`` of the MLflow distributions that are installed."""
    found = {}
    for name in MLFLOW_DISTRIBUTIONS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def required_mlflow() -> Requirement | None:
    """The SDK's own ``mlflow`` requirement, as the installed package declares it
    (``None`` when running from a source tree that is not installed)."""
    try:
        declared = requires(DISTRIBUTION) or []
    except PackageNotFoundError:
        return None
    for line in declared:
        requirement = Requirement(line)
        if requirement.name == "mlflow" and requirement.marker is None:
            return requirement
    return None


def mlflow_problem(installed: dict[str, str], required: Requirement | None) -> str | None:
    """What is wrong with the installed MLflow, and the command that fixes it; None if fine.

    Examples:
        >>> needs = Requirement("mlflow>=3.4")
        >>> mlflow_problem({"mlflow": "3.17.2", "mlflow-skinny": "3.17.2"}, needs) is None
        True
        >>> print(mlflow_problem({"mlflow": "2.9.0", "mlflow-skinny": "3.17.2"}, needs))
        MLflow is installed twice, at different versions: mlflow 2.9.0, mlflow-skinny 3.17.2. They share the `mlflow` package, each installed over the other's files, so `import mlflow` runs a mix of both. Reinstall MLflow as one version:
            python -m pip uninstall -y mlflow mlflow-skinny mlflow-tracing && python -m pip install "mlflow==3.17.2"
        >>> print(mlflow_problem({"mlflow": "2.9.0"}, needs))
        hokusai-ml-platform needs mlflow>=3.4, and this environment has mlflow 2.9.0. Upgrade it:
            python -m pip install "mlflow>=3.4"
    """
    if not installed:
        return None
    newest = max(installed.values(), key=Version)
    wanted = f"mlflow=={newest}"
    if required is not None and not required.specifier.contains(newest, prereleases=True):
        wanted = f"mlflow{required.specifier}"
    if len(set(installed.values())) > 1:
        listed = ", ".join(f"{name} {installed[name]}" for name in installed)
        everything = " ".join(MLFLOW_DISTRIBUTIONS)
        return (
            f"MLflow is installed twice, at different versions: {listed}. They share the "
            "`mlflow` package, each installed over the other's files, so `import mlflow` "
            "runs a mix of both. Reinstall MLflow as one version:\n"
            f'    python -m pip uninstall -y {everything} && python -m pip install "{wanted}"'
        )
    if required is not None and not required.specifier.contains(newest, prereleases=True):
        name = next(iter(installed))
        return (
            f"{DISTRIBUTION} needs mlflow{required.specifier}, and this environment has "
            f'{name} {newest}. Upgrade it:\n    python -m pip install "{wanted}"'
        )
    return None


def check_mlflow() -> None:
    """Raise `MlflowInstallError` if MLflow is mixed or too old (see the module)."""
    problem = mlflow_problem(installed_mlflow(), required_mlflow())
    if problem:
        raise MlflowInstallError(problem)


check_mlflow()
