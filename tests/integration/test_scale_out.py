"""The scale-out configuration of docs/gateway.md, run for real: what an operator checks.

Postgres (two databases: MLflow's store and the key store), moto's S3 server as the
artifact store, one ``mlflow server`` on both, and two ``hokusai gateway serve``
processes sharing the key store. Started once for the module; skipped, with the reason
printed, only if Postgres or the S3 stand-in cannot start here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import yaml

from tests.integration.scale_out_stack import (
    ARTIFACTS_PREFIX,
    BUCKET,
    GATEWAY_ENV,
    KEYS_CREATE_FLAGS,
    MLFLOW_ENV,
    MLFLOW_SERVER_FLAGS,
    EnvGateway,
    MotoS3,
    ScaleOutMlflow,
    StackUnavailable,
    start_postgres,
    wait_all,
)
from tests.support.client import request

DOCS = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"
SEARCH = "/api/mlflow/api/2.0/mlflow/experiments/search?max_results=1"
MODEL_NAME = "scale-out-model"

LOG_AND_REGISTER = """
import json, sys
import mlflow
from sklearn.dummy import DummyClassifier

mlflow.set_experiment("scale-out")
with mlflow.start_run() as run:
    mlflow.log_metric("accuracy", 0.9)
    info = mlflow.sklearn.log_model(
        DummyClassifier().fit([[0], [1]], [0, 1]),
        name="model",
        pip_requirements=["scikit-learn"],
        registered_model_name=sys.argv[1],
    )
print(json.dumps({"run_id": run.info.run_id, "model_id": info.model_id,
                  "version": str(info.registered_model_version)}))
"""


class Stack:
    def __init__(self, s3: MotoS3, keys_url: str, gateway_a: EnvGateway, gateway_b: EnvGateway):
        self.s3 = s3
        self.keys_url = keys_url
        self.a = gateway_a
        self.b = gateway_b


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("scale-out")
    try:
        postgres, urls = start_postgres(workdir, ("mlflow", "hokusai_keys"))
    except StackUnavailable as exc:
        print(exc)
        pytest.skip(str(exc))
    s3 = MotoS3(workdir)  # boots while MLflow does
    mlflow = ScaleOutMlflow(workdir / "mlflow", urls["mlflow"][0], s3.url)
    mlflow.start()
    keys_url = urls["hokusai_keys"][1]
    gateways = [EnvGateway(workdir, mlflow.url, keys_url) for _ in range(2)]
    try:
        try:
            s3.create_bucket(BUCKET)
        except StackUnavailable as exc:
            print(exc)
            pytest.skip(str(exc))
        wait_all(mlflow.wait_ready, *(g.wait_ready for g in gateways), timeout=240)
        yield Stack(s3, keys_url, *gateways)
    finally:
        for gateway in gateways:
            gateway.stop()
        mlflow.stop()
        s3.stop()
        postgres.cleanup()


@pytest.fixture(scope="module")
def key(stack) -> tuple[str, str]:
    """(key id, secret) created once with the docs' command, on the shared Postgres store."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hokusai",
            "keys",
            "create",
            "--name",
            "ci-pipeline",
            "--db",
            stack.keys_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    key_id = re.match(r"Created (key_\w+) ", lines[0]).group(1)
    return key_id, lines[-1]


@pytest.fixture(scope="module")
def logged(stack, key) -> dict:
    """The real mlflow client, through gateway A, with only the key (no storage credentials)."""
    drop = ("AWS_", "MLFLOW_", "HOKUSAI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        MLFLOW_TRACKING_URI=f"{stack.a.url}/api/mlflow",
        HOKUSAI_API_KEY=key[1],
        HOKUSAI_CONFIG=str(Path(stack.a.log_path).parent / "absent.toml"),
    )
    result = subprocess.run(
        [sys.executable, "-c", LOG_AND_REGISTER, MODEL_NAME],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_docs_show_the_configuration_this_module_runs():
    """Flag and variable names on the page are the ones started here, in the same order."""
    text = DOCS.read_text()
    marker = text.index("tests/integration/test_scale_out.py")
    block = text[
        text.index("```bash", marker) : text.index("```\n", text.index("```bash", marker) + 7)
    ]
    server = block[block.index("mlflow server") :].split("\n\n", 1)[0]
    assert tuple(re.findall(r"(?<=\s)--[a-z-]+", server)) == MLFLOW_SERVER_FLAGS
    exports = re.findall(r"^export (\w+)=", block, re.MULTILINE)
    assert tuple(n for n in exports if n.startswith("MLFLOW_")) == MLFLOW_ENV
    assert tuple(n for n in exports if n.startswith("HOKUSAI_GATEWAY_")) == GATEWAY_ENV
    assert re.search(r"^hokusai gateway serve$", block, re.MULTILINE)
    create = re.search(r"^hokusai keys create (.*)$", block, re.MULTILINE).group(1)
    assert tuple(re.findall(r"--[a-z-]+", create)) == KEYS_CREATE_FLAGS


def test_a_key_created_once_works_on_both_gateways(stack, key):
    for gateway in (stack.a, stack.b):
        assert request(gateway.url, "GET", "/ready").json()["checks"] == {
            "mlflow": "ok",
            "key_store": "ok",
        }
        for _ in range(4):  # new connections: both workers of each gateway answer
            answer = request(gateway.url, "GET", SEARCH, {"X-API-Key": key[1]})
            assert answer.status == 200, answer.body
        refused = request(gateway.url, "GET", SEARCH)
        assert refused.status == 401 and refused.json()["error_code"] == "UNAUTHENTICATED"


def test_the_mlflow_client_logs_through_a_and_artifacts_land_in_s3(stack, logged):
    keys = stack.s3.keys(BUCKET, ARTIFACTS_PREFIX + "/")
    mlmodel = [k for k in keys if logged["model_id"] in k and k.endswith("/MLmodel")]
    assert len(mlmodel) == 1, keys
    # The model file MLmodel names is in the bucket next to it (written through MLflow).
    text = stack.s3.client().get_object(Bucket=BUCKET, Key=mlmodel[0])["Body"].read().decode()
    model_file = yaml.safe_load(text)["flavors"]["sklearn"]["pickled_model"]
    assert mlmodel[0].removesuffix("MLmodel") + model_file in keys, keys
    assert logged["version"] == "1"


def test_the_registered_model_and_its_artifacts_are_visible_through_b(stack, key, logged):
    auth = {"Authorization": f"Bearer {key[1]}"}
    query = urllib.parse.urlencode({"name": MODEL_NAME})
    answer = request(
        stack.b.url, "GET", f"/api/mlflow/api/2.0/mlflow/registered-models/get?{query}", auth
    )
    assert answer.status == 200, answer.body
    versions = answer.json()["registered_model"]["latest_versions"]
    assert [(v["version"], v["run_id"]) for v in versions] == [("1", logged["run_id"])]
    # The artifact bytes, served by MLflow from S3 through gateway B, equal the object's.
    [s3_key] = [k for k in stack.s3.keys(BUCKET, ARTIFACTS_PREFIX + "/") if k.endswith("/MLmodel")]
    stored = stack.s3.client().get_object(Bucket=BUCKET, Key=s3_key)["Body"].read()
    path = s3_key[len(ARTIFACTS_PREFIX) + 1 :]
    served = request(
        stack.b.url, "GET", f"/api/mlflow/api/2.0/mlflow-artifacts/artifacts/{path}", auth
    )
    assert served.status == 200 and served.body == stored


def test_a_key_revoked_in_the_shared_store_is_refused_by_b_on_its_next_request(stack, key, logged):
    from hokusai.gateway.keys import KeyStore

    assert request(stack.b.url, "GET", SEARCH, {"X-API-Key": key[1]}).status == 200
    store = KeyStore(stack.keys_url)  # what gateway A reads; `hokusai keys revoke` does this
    try:
        store.revoke(key[0])
    finally:
        store.close()
    for gateway in (stack.b, stack.b, stack.b, stack.a):  # B's very next request, any worker
        answer = request(gateway.url, "GET", SEARCH, {"X-API-Key": key[1]})
        assert answer.status == 401
        assert answer.json()["error_code"] == "UNAUTHENTICATED"
        assert "has been revoked" in answer.json()["message"]
