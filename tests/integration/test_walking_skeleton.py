"""The walking skeleton's promises, checked the way a user would check them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"
DEFAULT = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_search_with_key_answers_200(local_registry):
    status, body = get(local_registry.tracking_uri + SEARCH, {"X-API-Key": local_registry.api_key})
    assert status == 200
    assert len(body["experiments"]) == 1
    status, body = get(local_registry.tracking_uri + DEFAULT, {"X-API-Key": local_registry.api_key})
    assert (status, body["experiment"]["experiment_id"]) == (200, "0")


def test_search_without_key_is_mlflow_shaped_401(local_registry):
    status, body = get(local_registry.tracking_uri + SEARCH)
    assert status == 401
    assert body["error_code"] == "UNAUTHENTICATED"
    assert body["message"].startswith("API key required")


def test_unknown_path_is_json_404(local_registry):
    status, body = get(
        local_registry.url + "/api/mlflow/not-an-api", {"X-API-Key": local_registry.api_key}
    )
    assert (status, body["error_code"]) == (404, "ENDPOINT_NOT_FOUND")


def test_plain_mlflow_client_with_tracking_token_registers_a_model(local_registry, tmp_path):
    # A separate interpreter with only MLFLOW_TRACKING_TOKEN: no Hokusai key in sight.
    script = tmp_path / "register.py"
    script.write_text(
        "import mlflow\n"
        "from sklearn.dummy import DummyClassifier\n"
        "model = DummyClassifier().fit([[0], [1]], [0, 1])\n"
        "with mlflow.start_run():\n"
        "    info = mlflow.sklearn.log_model(model, name='m', pip_requirements=['scikit-learn'])\n"
        "version = mlflow.register_model(info.model_uri, 'token-auth-model')\n"
        "print(version.name, version.version)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "HOKUSAI_API_KEY"}
    env["MLFLOW_TRACKING_TOKEN"] = local_registry.api_key
    env["HOKUSAI_CONFIG"] = str(tmp_path / "no-config.toml")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["token-auth-model", "1"]
