"""Plain `mlflow` in a fresh interpreter reaches the gateway through the header plugin,
and without this package installed is told to use MLflow's own variable."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

SCRIPT = "import mlflow; print([e.name for e in mlflow.search_experiments()][-1])"


def run_plain_mlflow(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )


def base_env(local_registry, tmp_path) -> dict[str, str]:
    drop = {"HOKUSAI_API_KEY", "MLFLOW_TRACKING_TOKEN", "HOKUSAI_API_ENDPOINT"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["MLFLOW_TRACKING_URI"] = local_registry.tracking_uri
    env["HOKUSAI_CONFIG"] = str(tmp_path / "absent.toml")
    return env


def test_only_hokusai_api_key_is_enough(local_registry, tmp_path):
    env = {**base_env(local_registry, tmp_path), "HOKUSAI_API_KEY": local_registry.api_key}
    result = run_plain_mlflow(env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "Default"


def test_key_from_hokusai_login_config_file_is_enough(local_registry, tmp_path):
    env = base_env(local_registry, tmp_path)
    (tmp_path / "absent.toml").write_text(f'api_key = "{local_registry.api_key}"\n')
    result = run_plain_mlflow(env)
    assert result.returncode == 0, result.stderr[-2000:]


def test_mlflow_tracking_token_still_works(local_registry, tmp_path):
    env = {**base_env(local_registry, tmp_path), "MLFLOW_TRACKING_TOKEN": local_registry.api_key}
    result = run_plain_mlflow(env)
    assert result.returncode == 0, result.stderr[-2000:]


def test_without_any_key_the_gateway_message_is_shown(local_registry, tmp_path):
    result = run_plain_mlflow(base_env(local_registry, tmp_path))
    assert result.returncode != 0
    # The plugin is installed here (it marks the User-Agent): the SDK's variable is named.
    assert "UNAUTHENTICATED: API key required: set HOKUSAI_API_KEY" in result.stderr
    assert "INTERNAL_ERROR" not in result.stderr


def test_a_wrong_mlflow_tracking_token_is_named_not_hokusai_api_key(local_registry, tmp_path):
    wrong = "hk_test_" + "0" * 32
    env = {**base_env(local_registry, tmp_path), "MLFLOW_TRACKING_TOKEN": wrong}
    result = run_plain_mlflow(env)
    assert result.returncode != 0
    assert "UNAUTHENTICATED: API key not recognised: check MLFLOW_TRACKING_TOKEN," in result.stderr
    assert "HOKUSAI_API_KEY" not in result.stderr


@pytest.fixture(scope="module")
def without_hokusai(tmp_path_factory) -> Path:
    """A ``sys.path`` entry with everything the test venv installed but this package:
    its site-packages linked entry by entry, leaving out hokusai's own (the package, its
    metadata and so the plugin's entry point). With ``python -S`` it is plain MLflow."""
    overlay = tmp_path_factory.mktemp("plain-mlflow")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if "hokusai" not in entry.name.lower():
            (overlay / entry.name).symlink_to(entry)
    return overlay


def run_mlflow_without_hokusai(overlay: Path, env: dict[str, str], script: str = SCRIPT):
    return subprocess.run(
        [sys.executable, "-S", "-c", script],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(overlay)},
        timeout=120,
    )


def test_plain_mlflow_without_this_package_is_told_to_set_mlflow_tracking_token(
    local_registry, tmp_path, without_hokusai
):
    env = base_env(local_registry, tmp_path)
    absent = "import importlib.metadata as m, importlib.util as u; " + (
        "print(u.find_spec('hokusai'), list(m.entry_points(group='mlflow.request_header_provider')))"
    )
    assert run_mlflow_without_hokusai(without_hokusai, env, absent).stdout.strip() == "None []"
    result = run_mlflow_without_hokusai(without_hokusai, env)
    assert result.returncode != 0
    assert "UNAUTHENTICATED: API key required: the mlflow client sent none. " in result.stderr
    assert "Set MLFLOW_TRACKING_TOKEN=<key>" in result.stderr
    # ... and MLFLOW_TRACKING_TOKEN is indeed all it needs.
    env["MLFLOW_TRACKING_TOKEN"] = local_registry.api_key
    result = run_mlflow_without_hokusai(without_hokusai, env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "Default"
