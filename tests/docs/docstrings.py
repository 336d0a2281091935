"""The names the API reference's ``>>>`` examples use, bound to a real registry.

A docstring example of the SDK shows one call, as the guides do, not the model
training before it. ``--doctest-modules`` runs it against the session's local
registry (``tests/support/stack.py``) with these names already defined, as the reference page
says:

* ``registry``: ``ModelRegistry()``, configured from the environment;
* ``model``: a small scikit-learn model; ``info`` and ``retrained``: two models
  logged with ``mlflow.sklearn.log_model`` (``info.model_uri`` is ``models:/m-…``);
* ``mlflow``.

Examples that use one of these names, or build an ``ExperimentManager`` or a
``PerformanceTracker``, get them and the registry's variables; the others run without
a registry, early in the session.
"""

from __future__ import annotations

import functools
import re

import pytest
from _pytest.doctest import DoctestItem

STACK_FIXTURE = "local_registry"
# An example that uses these names, or builds an object that calls the registry, runs
# against the session's registry (never the default, production URL).
_USES = re.compile(
    r"\b(registry|info|retrained)\b|\b(ExperimentManager|PerformanceTracker|run_checks)\("
)


def uses_examples_namespace(item) -> bool:
    return isinstance(item, DoctestItem) and any(
        _USES.search(example.source) for example in item.dtest.examples
    )


def require_registry(items: list) -> None:
    """Examples that use the names need the registry (and run with the tests that do)."""
    for item in items:
        if uses_examples_namespace(item) and STACK_FIXTURE not in item.fixturenames:
            item.fixturenames.append(STACK_FIXTURE)


@functools.cache
def _namespace() -> dict:
    import mlflow
    from sklearn.linear_model import LogisticRegression

    from hokusai import ModelRegistry

    model = LogisticRegression().fit([[0.1], [0.4], [0.6], [0.9]], [0, 0, 1, 1])
    retrained = LogisticRegression(C=10.0).fit([[0.1], [0.4], [0.6], [0.9]], [0, 0, 1, 1])
    mlflow.set_experiment("docstring-examples")
    logged = []
    for fitted in (model, retrained):
        with mlflow.start_run():
            logged.append(
                mlflow.sklearn.log_model(fitted, name="model", pip_requirements=["scikit-learn"])
            )
    return {
        "registry": ModelRegistry(),
        "model": model,
        "info": logged[0],
        "retrained": logged[1],
        "mlflow": mlflow,
    }


@pytest.fixture(autouse=True)
def docstring_examples_namespace(request) -> None:
    if uses_examples_namespace(request.node):
        request.getfixturevalue(STACK_FIXTURE)  # exports the registry's variables first
        request.getfixturevalue("doctest_namespace").update(_namespace())
