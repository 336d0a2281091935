"""Every call shape of the old guide works with its warning, or fails naming what to use.

Each shape of tests/old_guide/shapes.py runs as a user would paste it: against the
session's local registry when it needs one, else against a registry address where
nothing listens (so a call that would reach the network fails loudly instead of being
mistaken for a guided error). The outcome must be exactly the shape's ``result``: the
Migrating page shows that text.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings

import pytest

from tests.old_guide.shapes import SHAPES, WORKS, Shape
from tests.unit.fake_registry import dead_uri

OLD_GUIDE_MODEL = "old-guide-scorer"
X, Y = [[0.1], [0.3], [0.4], [0.6], [0.7], [0.9]], [0, 0, 0, 1, 1, 1]


def run_shape(shape: Shape, namespace: dict) -> str:
    """Run the shape's setup quietly, then its line; describe what happened."""
    filename = f"<old guide: {shape.old[:40]}>"
    environment = dict(os.environ)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            exec(shape.setup, namespace)
        with (
            warnings.catch_warnings(record=True) as caught,
            contextlib.redirect_stdout(io.StringIO()),
        ):
            warnings.simplefilter("always")
            try:
                exec(compile(shape.old, filename, "exec"), namespace)
            except Exception as error:
                return f"{type(error).__name__}: {error}"
    finally:
        os.environ.clear()
        os.environ.update(environment)
    messages = []
    for warning in caught:
        text = str(warning.message)
        if (
            warning.filename == filename
            and text not in messages
            and issubclass(warning.category, DeprecationWarning)
        ):
            messages.append(text)  # the old line's own warnings, each once
    return WORKS + "".join(f"; DeprecationWarning: {text}" for text in messages)


def base_namespace(tracking_uri: str, api_key: str) -> dict:
    import mlflow
    from sklearn.ensemble import RandomForestClassifier

    import hokusai
    from hokusai import ModelRegistry
    from hokusai.tracking import ExperimentManager, PerformanceTracker

    return {
        "__name__": "__main__",
        "os": os,
        "mlflow": mlflow,
        "hokusai": hokusai,
        "ModelRegistry": ModelRegistry,
        "ExperimentManager": ExperimentManager,
        "PerformanceTracker": PerformanceTracker,
        "registry": ModelRegistry(tracking_uri=tracking_uri, api_key=api_key),
        "tracker": PerformanceTracker("old-guide-improvements", tracking_uri, api_key),
        "model": RandomForestClassifier(n_estimators=3, random_state=0).fit(X, Y),
    }


@pytest.fixture(scope="module")
def offline_namespace() -> dict:
    return base_namespace(dead_uri(), "hk_test_OldGuideOldGuideOldGuideOldGu")


@pytest.fixture(scope="module")
def registry_namespace(local_registry) -> dict:
    """The registry's namespace, with the model the old lines read: a baseline (version 1,
    accuracy 0.80) and an improved version 2 whose run logged accuracy 0.83."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    namespace = base_namespace(local_registry.tracking_uri, local_registry.api_key)
    registry = namespace["registry"]
    mlflow.set_tracking_uri(local_registry.tracking_uri)
    mlflow.set_experiment("old-guide")
    uris = []
    for accuracy, c in ((0.80, 0.5), (0.83, 2.0)):
        with mlflow.start_run():
            mlflow.log_metric("accuracy", accuracy)
            info = mlflow.sklearn.log_model(
                LogisticRegression(C=c).fit(X, Y), name="model", pip_requirements=["scikit-learn"]
            )
        uris.append(info.model_uri)
    registry.register_baseline(uris[0], OLD_GUIDE_MODEL, "accuracy", 0.80, token_id="OLDGUIDE")
    registry.register_tokenized_model(uris[1], OLD_GUIDE_MODEL, "OLDGUIDE", "accuracy", 0.83)
    namespace["model_uri"] = uris[1]
    return namespace


@pytest.mark.parametrize(
    "shape",
    [pytest.param(s, id=s.old[:60]) for s in SHAPES if not s.registry],
)
def test_shape_without_registry(shape, offline_namespace):
    assert run_shape(shape, dict(offline_namespace)) == shape.result


@pytest.mark.parametrize(
    "shape",
    [pytest.param(s, id=s.old[:60]) for s in SHAPES if s.registry],
)
def test_shape_against_the_registry(shape, registry_namespace):
    assert run_shape(shape, dict(registry_namespace)) == shape.result


def test_no_old_shape_ends_in_a_bare_python_error():
    """Done means: nothing old fails with a plain ImportError/TypeError/AttributeError."""
    bare = ("ModuleNotFoundError", "ImportError", "TypeError", "AttributeError", "KeyError")
    for shape in SHAPES:
        kind = shape.result.split(":")[0]
        hinted = "Migrating from the old guide" in shape.result
        assert kind not in bare or hinted, shape
