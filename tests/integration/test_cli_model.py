"""`hokusai model register | show | list` against the session's registry (in-process CLI)."""

from __future__ import annotations

import json
import uuid

import mlflow
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient
from sklearn.dummy import DummyClassifier

from hokusai.cli import main


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def hokusai(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def experiment(local_registry):
    """A scratch experiment's name, deleted afterwards (others expect only 'Default')."""
    name = unique("cli-uploads")
    mlflow.set_tracking_uri(local_registry.tracking_uri)
    experiment_id = MlflowClient().create_experiment(name)
    yield name
    MlflowClient().delete_experiment(experiment_id)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, local_registry):
    path = tmp_path_factory.mktemp("cli") / "lead-scorer"
    mlflow.sklearn.save_model(
        DummyClassifier().fit([[0], [1]], [0, 1]), path, pip_requirements=["scikit-learn"]
    )
    return path


def test_register_from_a_model_directory_show_and_list(local_registry, model_dir, experiment):
    name, token = unique("cli"), unique("CLI")
    args = ["model", "register", "--model-path", str(model_dir), "--name", name, "--token-id", token,
            "--metric", "accuracy", "--baseline", "0.85", "--tag", "team=growth",
            "--experiment", experiment]  # fmt: skip
    first = hokusai(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        f"Registered {name} version 1 for token {token}",
        f"models:/{name}/1",
    ]
    assert "Uploading" in first.stderr and "100%  " in first.stderr  # progress on stderr
    again = hokusai(*args, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["version"] == "1"  # idempotent: same content, same version

    shown = hokusai("model", "show", name)
    assert shown.exit_code == 0, shown.output
    assert f"token id:  {token}" in shown.stdout and "tag team:  growth" in shown.stdout
    listed = hokusai("model", "list", "--token-id", token, "--json")
    assert [(m["name"], m["version"]) for m in json.loads(listed.stdout)] == [(name, "1")]
    everything = hokusai("model", "list")
    assert f"{name} v1  token {token}" in everything.stdout


def test_register_by_uri_and_show_a_version(local_registry, experiment):
    name = unique("cli-uri")
    with mlflow.start_run(
        experiment_id=MlflowClient().get_experiment_by_name(experiment).experiment_id
    ):
        info = mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]), name="m", pip_requirements=["scikit-learn"]
        )
    result = hokusai("model", "register", "--model-uri", info.model_uri, "--name", name,
                     "--token-id", "CLIURI", "--metric", "f1", "--baseline", "0.5")  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = hokusai("model", "show", name, "--version", "1", "--json")
    assert json.loads(shown.stdout)["metric_name"] == "f1"


def test_errors_are_one_line_with_the_fix(local_registry, model_dir):
    both = hokusai("model", "register", "--model-path", str(model_dir), "--model-uri", "x",
                   "--name", "n", "--token-id", "T", "--metric", "m", "--baseline", "1")  # fmt: skip
    assert (
        both.exit_code == 2 and "exactly one of --model-path PATH or --model-uri URI" in both.output
    )
    bad_token = hokusai("model", "register", "--model-uri", "models:/m-1", "--name", "n",
                        "--token-id", "bad token", "--metric", "m", "--baseline", "1")  # fmt: skip
    assert bad_token.exit_code == 1
    assert "Error: token_id 'bad token' is not valid" in bad_token.output
    missing = hokusai("model", "show", unique("missing"))
    assert missing.exit_code == 1 and "Error: No registered model named" in missing.output
    assert "Traceback" not in missing.output


def test_wrong_key_is_reported_without_traceback(local_registry):
    result = hokusai("model", "list", "--api-key", "hk_test_" + "y" * 32)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: Authentication failed at {local_registry.tracking_uri}: API key not recognised"
    )
