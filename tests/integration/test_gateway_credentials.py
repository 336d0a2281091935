"""Credentials, scopes, expiry and revocation against the real registry (MLflow behind).

Raw HTTP covers every credential style at every mount; the real ``mlflow`` client
(a separate interpreter, configured only through environment variables, as users do)
covers the styles it can send: ``X-API-Key`` (Hokusai's plugin, from
``HOKUSAI_API_KEY``), ``Bearer`` (``MLFLOW_TRACKING_TOKEN``) and ``ApiKey`` (a
request-header provider, the documented MLflow extension point).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.client import request

MOUNTS = ("/api/mlflow", "/mlflow", "")
SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"
GET_DEFAULT = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default"


def new_key(registry, *args: str) -> tuple[str, str]:
    """``hokusai keys create`` on the registry's data dir: (key id, secret)."""
    out = registry.hokusai("keys", "create", "--name", "gateway-tests", *args).stdout
    return out.split()[1], out.split()[-1]


def style_headers(style: str, secret: str) -> tuple[dict[str, str], str]:
    return {
        "bearer": ({"Authorization": f"Bearer {secret}"}, ""),
        "apikey": ({"Authorization": f"ApiKey {secret}"}, ""),
        "x-api-key": ({"X-API-Key": secret}, ""),
        "query": ({}, f"&api_key={secret}"),
    }[style]


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("style", ["bearer", "apikey", "x-api-key", "query"])
def test_raw_http_every_style_at_every_mount(local_registry, mount, style):
    headers, query = style_headers(style, local_registry.api_key)
    answer = request(local_registry.url, "GET", mount + GET_DEFAULT + query, headers)
    assert answer.status == 200, answer.body
    assert answer.json()["experiment"]["name"] == "Default"
    assert answer.header("X-Request-Id")


def test_artifact_name_with_encoded_characters_reaches_mlflow_exactly(local_registry):
    key = {"X-API-Key": local_registry.api_key, "Content-Type": "application/json"}
    base = local_registry.url
    made = request(
        base, "POST", "/api/mlflow/api/2.0/mlflow/runs/create", key, b'{"experiment_id": "0"}'
    )
    assert made.status == 200, made.body
    run = made.json()["run"]["info"]
    artifact = f"/api/mlflow/api/2.0/mlflow-artifacts/artifacts/0/{run['run_id']}/artifacts"
    name = "my%20file%2Bv1%C3%A9.txt"  # "my file+v1é.txt"
    assert request(base, "PUT", f"{artifact}/{name}", key, b"hello").status == 200
    assert request(base, "GET", f"{artifact}/{name}", key).body == b"hello"
    stored = local_registry.data_dir / "mlflow" / "artifacts" / "0" / run["run_id"] / "artifacts"
    assert [p.name for p in stored.iterdir()] == ["my file+v1\u00e9.txt"]


@pytest.mark.parametrize(
    ("headers", "status", "code", "words"),
    [
        ({}, 401, "UNAUTHENTICATED", "API key required"),
        ({"X-API-Key": ""}, 401, "UNAUTHENTICATED", "Empty API key"),
        (
            {"Authorization": "Token abc"},
            401,
            "UNAUTHENTICATED",
            "Unsupported Authorization scheme",
        ),
        ({"X-API-Key": "hk_live_" + "Z" * 32}, 401, "UNAUTHENTICATED", "not recognised"),
        ({"X-API-Key": "k" * 1000}, 400, "INVALID_PARAMETER_VALUE", "Malformed API key"),
        ({"X-API-Key": b"hk_\xe9\xe9"}, 400, "INVALID_PARAMETER_VALUE", "Malformed API key"),
    ],
)
def test_bad_credentials_get_mlflow_shaped_errors(local_registry, headers, status, code, words):
    answer = request(local_registry.url, "GET", "/api/mlflow" + SEARCH, headers)
    assert answer.status == status
    assert answer.json()["error_code"] == code
    assert words in answer.json()["message"]


def test_duplicate_and_conflicting_credentials_are_400(local_registry):
    _, other = new_key(local_registry)
    key = local_registry.api_key
    dup = request(local_registry.url, "GET", "/api/mlflow" + SEARCH, [("X-API-Key", key)] * 2)
    assert dup.status == 400 and "sent 2 times" in dup.json()["message"]
    conflict = request(
        local_registry.url,
        "GET",
        "/api/mlflow" + SEARCH,
        {"X-API-Key": key, "Authorization": f"Bearer {other}"},
    )
    assert conflict.status == 400 and "Conflicting credentials" in conflict.json()["message"]


def test_traversal_is_refused_before_mlflow(local_registry):
    key = {"X-API-Key": local_registry.api_key}
    for target in (
        "/api/mlflow/../api/2.0/mlflow/experiments/search",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/%2e%2e/%2e%2e/mlflow.db",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/0%2f..%2f..%2fmlflow.db",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/%252e%252e/mlflow.db",
    ):
        answer = request(local_registry.url, "GET", target, key)
        assert answer.status == 400, target
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    # The UI's twin of an API route reaches MLflow as the API route does; a traversal
    # out of it is refused the same way.
    ui = request(local_registry.url, "GET", SEARCH.replace("/api/", "/ajax-api/", 1), key)
    assert ui.status == 200 and "experiments" in ui.json()
    escape = request(local_registry.url, "GET", "/ajax-api/2.0/../../mlflow.db", key)
    assert escape.status == 400 and escape.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_read_scope_reads_but_cannot_write(local_registry):
    _, secret = new_key(local_registry, "--scope", "read")
    key = {"X-API-Key": secret, "Content-Type": "application/json"}
    assert request(local_registry.url, "GET", "/api/mlflow" + SEARCH, key).status == 200
    search = request(
        local_registry.url,
        "POST",
        "/api/mlflow/api/2.0/mlflow/runs/search",
        key,
        b'{"experiment_ids": ["0"]}',
    )
    assert search.status == 200
    denied = request(
        local_registry.url,
        "POST",
        "/api/mlflow/api/2.0/mlflow/experiments/create",
        key,
        b'{"name": "nope"}',
    )
    assert denied.status == 403
    assert denied.json()["error_code"] == "PERMISSION_DENIED"
    assert (
        "lacks the 'write' scope needed for POST /api/2.0/mlflow/experiments/create"
        in denied.json()["message"]
    )


def test_revocation_and_expiry_take_effect_on_the_next_request(local_registry):
    key_id, secret = new_key(local_registry)
    key = {"X-API-Key": secret}
    assert request(local_registry.url, "GET", "/api/mlflow" + SEARCH, key).status == 200
    local_registry.hokusai("keys", "revoke", key_id)
    revoked = request(local_registry.url, "GET", "/api/mlflow" + SEARCH, key)
    assert revoked.status == 401 and f"{key_id} has been revoked" in revoked.json()["message"]

    made = local_registry.hokusai(
        "keys", "create", "--name", "short-lived", "--expires-in-days", "0.0001"
    ).stdout  # 8.6 s
    short_id, short = made.split()[1], made.split()[-1]
    until = datetime.fromisoformat(made.split("expires ")[1].split()[0])
    assert (
        request(local_registry.url, "GET", "/api/mlflow" + SEARCH, {"X-API-Key": short}).status
        == 200
    )
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.0)
    expired = request(local_registry.url, "GET", "/api/mlflow" + SEARCH, {"X-API-Key": short})
    assert expired.status == 401 and f"{short_id} expired at" in expired.json()["message"]


CLIENT_SCRIPT = textwrap.dedent(
    '''
    import json, os, subprocess, sys, tempfile
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking.request_header.abstract_request_header_provider import RequestHeaderProvider
    from mlflow.tracking.request_header.registry import _request_header_provider_registry

    class ApiKeyScheme(RequestHeaderProvider):
        """Sends 'Authorization: ApiKey <key>' when APIKEY_SCHEME_KEY is set."""
        def in_context(self):
            return bool(os.environ.get("APIKEY_SCHEME_KEY"))
        def request_headers(self):
            return {"Authorization": "ApiKey " + os.environ["APIKEY_SCHEME_KEY"]}

    _request_header_provider_registry.register(ApiKeyScheme)
    CREDENTIAL_VARS = {"x-api-key": "HOKUSAI_API_KEY", "bearer": "MLFLOW_TRACKING_TOKEN",
                       "apikey": "APIKEY_SCHEME_KEY"}
    base, key, read_only = sys.argv[1], sys.argv[2], sys.argv[3]

    def use(style, secret):
        for var in CREDENTIAL_VARS.values():
            os.environ.pop(var, None)
        if style:
            os.environ[CREDENTIAL_VARS[style]] = secret

    def error_of(call):
        try:
            call()
        except MlflowException as exc:
            return str(exc)
        return "no error"

    results = {}
    for mount in ("/api/mlflow", "/mlflow", ""):
        for style in CREDENTIAL_VARS:
            use(style, key)
            mlflow.set_tracking_uri(base + mount)
            name = f"gw-{style}-{mount.strip('/').replace('/', '-') or 'bare'}"
            # Runs go to the Default experiment: the shared registry keeps its experiment list.
            with mlflow.start_run(experiment_id="0") as run:
                mlflow.set_tag("gateway_combo", name)
                mlflow.log_text(f"{style} at {mount!r}", "notes/hello.txt")
            with tempfile.TemporaryDirectory() as tmp:
                path = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=tmp)
                text = open(os.path.join(path, "notes", "hello.txt")).read()
            client = mlflow.MlflowClient()
            client.create_registered_model(name)
            version = client.create_model_version(
                name, source=run.info.artifact_uri + "/notes", run_id=run.info.run_id
            )
            found = mlflow.search_runs(
                experiment_ids=["0"], filter_string=f"tags.gateway_combo = '{name}'",
                output_format="list",
            )
            results[f"{mount or '/'} {style}"] = [text, version.version, len(found)]
    mlflow.set_tracking_uri(base + "/api/mlflow")
    use(None, None)
    results["missing"] = error_of(mlflow.search_experiments)
    use("x-api-key", read_only)
    results["read-only search"] = len(mlflow.search_experiments()) > 0
    results["read-only write"] = error_of(lambda: mlflow.create_experiment("denied"))
    print("RESULTS " + json.dumps(results))
    '''
)


def test_mlflow_client_every_style_at_every_mount(local_registry, tmp_path):
    script = tmp_path / "client.py"
    script.write_text(CLIENT_SCRIPT)
    _, read_only = new_key(local_registry, "--scope", "read")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HOKUSAI_API_KEY", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_URI")
    }
    env["HOKUSAI_CONFIG"] = str(tmp_path / "no-config.toml")
    result = subprocess.run(
        [sys.executable, str(script), local_registry.url, local_registry.api_key, read_only],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=Path(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-4000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULTS "))
    results = json.loads(line.removeprefix("RESULTS "))
    for mount in ("/api/mlflow", "/mlflow", "/"):
        for style in ("x-api-key", "bearer", "apikey"):
            text, version, runs = results[f"{mount} {style}"]
            assert text == f"{style} at {mount.rstrip('/')!r}" or mount == "/"
            assert (version, runs) == ("1", 1), (mount, style)
    assert results["missing"].startswith("UNAUTHENTICATED: API key required")
    assert results["read-only search"] is True
    assert (
        results["read-only write"].startswith("PERMISSION_DENIED: API key key_")
        and "lacks the 'write' scope" in results["read-only write"]
    )
