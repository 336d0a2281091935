"""Trained model objects handed to ``register_baseline(model=...)`` by old-guide code (internal).

The SDK registers MLflow models by URI. For the old call shape it logs a scikit-learn
estimator itself: saved as an MLflow model directory, then uploaded like
``hokusai model register --model-path`` does. Any other kind of object is refused
before anything is sent, naming the MLflow flavour to log it with.
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from pathlib import Path
from typing import Any

from hokusai.errors import ValidationError

# Top-level package of a model object's class → the MLflow flavour that logs it.
FLAVORS = {
    "sklearn": "sklearn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
    "torch": "pytorch",
    "tensorflow": "tensorflow",
    "keras": "keras",
    "transformers": "transformers",
    "dspy": "dspy",
    "statsmodels": "statsmodels",
    "prophet": "prophet",
}


def flavor_of(model: object) -> str:
    """The MLflow flavour for ``model``'s class (``pyfunc`` when none is known).

    Examples:
        >>> from sklearn.linear_model import LogisticRegression
        >>> flavor_of(LogisticRegression()), flavor_of(object())
        ('sklearn', 'pyfunc')
    """
    package = type(model).__module__.split(".")[0]
    return FLAVORS.get(package, "pyfunc")


def _log_yourself(flavor: str, model_name: str, extra: str = "") -> str:
    return (
        f"Log it yourself, then register its URI: model_info = mlflow.{flavor}.log_model("
        f"model, name='model'{extra}), then registry.register_baseline(model_info.model_uri, "
        f"{model_name!r}, metric_name, metric_value)."
    )


def check_loggable(model: object, model_name: str) -> list[str]:
    """Refuse what the SDK cannot log; return the skops types to trust when saving.

    Only fitted scikit-learn estimators are logged for you. scikit-learn's own types that
    skops does not trust by default (tree node arrays) are trusted: the object was built
    in this process. Any other untrusted type is refused, naming it.
    """
    flavor = flavor_of(model)
    if flavor != "sklearn":
        raise ValidationError(
            f"register_baseline(model=...) logs scikit-learn models only; this is a "
            f"{type(model).__module__}.{type(model).__qualname__}. "
            + _log_yourself(flavor, model_name)
        )
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError) as exc:
        raise ValidationError(
            f"register_baseline(model=...) got an unfitted or non-estimator object ({exc}): "
            "fit the model first."
        ) from None
    try:
        import skops.io as sio
    except ImportError:  # MLflow then saves without skops
        return []
    untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    foreign = [name for name in untrusted if not name.startswith("sklearn.")]
    if foreign:
        extra = f", skops_trusted_types={untrusted!r}"
        raise ValidationError(
            f"The model references types skops does not trust: {', '.join(foreign)}. If you "
            "trust them (you trained it yourself), " + _log_yourself("sklearn", model_name, extra)
        )
    return list(untrusted)


def object_digest(model: object) -> str:
    """sha256 of the pickled object: the same trained model gives the same digest.

    Examples:
        >>> from sklearn.linear_model import LogisticRegression
        >>> fitted = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        >>> object_digest(fitted) == object_digest(pickle.loads(pickle.dumps(fitted)))
        True
    """
    return hashlib.sha256(b"sklearn-object\0" + pickle.dumps(model, protocol=5)).hexdigest()


def upload_sklearn(registry: Any, model: object, trusted: list[str]) -> str:
    """Save ``model`` as an MLflow model and upload it; returns its ``models:/m-…`` URI.

    Uploading the same trained object again returns the same logged model (its digest is
    the object's, not the saved files', which carry their creation time), so registering
    it again registers no duplicate version.
    """
    import mlflow.sklearn
    import sklearn

    from hokusai.core._upload import UPLOAD_EXPERIMENT, upload_directory

    with tempfile.TemporaryDirectory(prefix="hokusai-model-") as folder:
        path = Path(folder) / "model"
        mlflow.sklearn.save_model(
            model,
            str(path),
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
            skops_trusted_types=trusted or None,
        )
        with registry.session():
            uri = upload_directory(
                registry.client, registry.tracking_uri, path, UPLOAD_EXPERIMENT,
                digest=object_digest(model),
            )  # fmt: skip
        return str(uri)
