"""A ~200 MB model artifact through the gateway: uploaded and downloaded in constant memory.

The gateway runs inside the ``hokusai local up`` process of the session registry
(MLflow is a separate child process), so that process's resident memory is the
gateway's. It is sampled every few milliseconds while the real ``mlflow`` client
registers a model carrying a 200 MiB file and downloads it back.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.client import request
from tests.support.processes import PeakRss

MiB = 1 << 20
SIZE = 200 * MiB
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts/<path:artifact_path>"


def artifact_calls(url: str, method: str) -> float:
    """How many artifact calls of ``method`` the gateway has answered 200 (its /metrics)."""
    text = request(url, "GET", "/metrics").body.decode()
    prefix = (
        f'hokusai_gateway_requests_total{{method="{method}",route="{ARTIFACTS}",status="200"}} '
    )
    return sum(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))


SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    import mlflow

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    weights, out = sys.argv[1], sys.argv[2]
    with mlflow.start_run(experiment_id="0"):  # no new experiment in the shared registry
        info = mlflow.pyfunc.log_model(
            name="model", python_model=Echo(), artifacts={"weights": weights},
            pip_requirements=["mlflow"],
        )
    version = mlflow.register_model(info.model_uri, "gateway-large-model")
    local = mlflow.artifacts.download_artifacts(
        f"models:/gateway-large-model/{version.version}", dst_path=out
    )
    digest = hashlib.sha256()
    with open(f"{local}/artifacts/weights.bin", "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    print("VERSION", version.version)
    print("SHA256", digest.hexdigest())
    """
)


def _write_weights(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for _ in range(SIZE // MiB):
            block = os.urandom(MiB)
            digest.update(block)
            handle.write(block)
    return digest.hexdigest()


def test_200mb_model_through_the_gateway_in_constant_memory(local_registry, tmp_path):
    weights = tmp_path / "weights.bin"
    expected = _write_weights(weights)
    script = tmp_path / "big.py"
    script.write_text(SCRIPT)
    pid = local_registry.process.pid
    puts, gets = (artifact_calls(local_registry.url, m) for m in ("PUT", "GET"))
    with PeakRss(pid) as rss:
        result = subprocess.run(
            [sys.executable, str(script), str(weights), str(tmp_path / "download")],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "SHA256 " + expected in result.stdout.splitlines()
    # It really went through the gateway: it counted the artifact uploads and downloads.
    assert artifact_calls(local_registry.url, "PUT") > puts
    assert artifact_calls(local_registry.url, "GET") > gets
    status = Path(f"/proc/{pid}/status").read_text()
    hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    print(
        f"gateway RSS {rss.start / MiB:.1f} -> peak {rss.peak / MiB:.1f} MiB "
        f"(growth {rss.growth / MiB:.1f} MiB) for {SIZE // MiB} MiB up and down; {hwm}"
    )
    assert rss.growth < 40 * MiB
