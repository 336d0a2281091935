"""Upload a local MLflow model directory as an MLflow logged model (internal)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hokusai.errors import ValidationError

TAG_CONTENT_HASH = "hokusai_content_sha256"
UPLOAD_EXPERIMENT = "hokusai-uploads"


def model_files(path: Path) -> list[Path]:
    """The files of an MLflow model directory, sorted; rejects other directories."""
    if not path.is_dir() or not (path / "MLmodel").is_file():
        raise ValidationError(
            f"{path} is not an MLflow model directory (no MLmodel file). Save one with e.g. "
            "mlflow.sklearn.save_model(model, 'my-model'), or pass --model-uri instead."
        )
    return sorted(p for p in path.rglob("*") if p.is_file())


def content_hash(path: Path, files: list[Path]) -> str:
    """sha256 over the relative names and contents of ``files``.

    Examples:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp()); _ = (root / "MLmodel").write_text("x")
        >>> len(content_hash(root, model_files(root)))
        64
    """
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _experiment_id(client: Any, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name)


def upload_directory(
    client: Any,
    tracking_uri: str,
    path: Path,
    experiment_name: str,
    progress: Callable[[str, int, int], None] | None = None,
    digest: str | None = None,
) -> str:
    """Upload ``path``; reuse a READY logged model with the same content. Returns its URI.

    ``digest`` identifies the content when the files do not (a model saved again from the
    same object differs in its creation time); by default, `content_hash`.
    """
    from mlflow.entities import LoggedModelStatus
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    files = model_files(path)
    digest = digest or content_hash(path, files)
    experiment_id = _experiment_id(client, experiment_name)
    for logged in client.search_logged_models(
        experiment_ids=[experiment_id], filter_string=f"tags.{TAG_CONTENT_HASH} = '{digest}'"
    ):
        if str(logged.status) == str(LoggedModelStatus.READY):
            return f"models:/{logged.model_id}"
    run = client.create_run(experiment_id, run_name=f"upload-{path.name}")
    run_id = run.info.run_id
    logged = client.create_logged_model(
        experiment_id, name=path.name, source_run_id=run_id, tags={TAG_CONTENT_HASH: digest}
    )
    try:
        repo = get_artifact_repository(logged.artifact_location, tracking_uri=tracking_uri)
        total = sum(file.stat().st_size for file in files)
        sent = 0
        for file in files:
            parent = file.parent.relative_to(path).as_posix()
            repo.log_artifact(str(file), None if parent == "." else parent)
            sent += file.stat().st_size
            if progress is not None:
                progress(file.relative_to(path).as_posix(), sent, total)
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
        client.set_terminated(run_id)
    except BaseException:
        for cleanup in (
            lambda: client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED),
            lambda: client.set_terminated(run_id, status="FAILED"),
        ):
            with contextlib.suppress(Exception):  # the original failure is what matters
                cleanup()
        raise
    return f"models:/{logged.model_id}"
