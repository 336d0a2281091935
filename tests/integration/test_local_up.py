"""`hokusai local up` as a developer runs it: restart keeps data and key, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from hokusai.local import free_port
from tests.support.stack import TEST_ENVIRONMENT

START_TIMEOUT = 240


def local_up(data_dir: Path, port: int) -> list[str]:
    """The command line of ``hokusai local up`` on ``port`` with ``data_dir``."""
    return [sys.executable, "-m", "hokusai", "local", "up", "--port", str(port),
            "--data-dir", str(data_dir)]  # fmt: skip


def start(data_dir: Path, port: int) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        local_up(data_dir, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **TEST_ENVIRONMENT},
    )
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if lines[-1] == "Ready.":
            return process, lines
    raise AssertionError(f"hokusai local up stopped before Ready.: {lines}")


def children_of(pid: int) -> set[int]:
    """Every descendant process of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def create_experiment(lines: list[str], name: str) -> int:
    env = dict(
        line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
    )
    request = urllib.request.Request(
        env["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/experiments/create",
        data=json.dumps({"name": name}).encode(),
        headers={"X-API-Key": env["HOKUSAI_API_KEY"], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def experiment_exists(lines: list[str], name: str) -> bool:
    env = dict(
        line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
    )
    request = urllib.request.Request(
        env["MLFLOW_TRACKING_URI"]
        + f"/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}",
        headers={"X-API-Key": env["HOKUSAI_API_KEY"]},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["experiment"]["name"] == name


def stop(process: subprocess.Popen) -> set[int]:
    """SIGTERM like Ctrl-C in a terminal would; returns the processes left alive."""
    descendants = children_of(process.pid)
    assert descendants, "local up should have started MLflow"
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    return {pid for pid in descendants if alive(pid)}


def hokusai(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hokusai", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        env={**os.environ, **TEST_ENVIRONMENT},
    )


def test_restart_keeps_data_and_key_and_leaves_no_orphans(tmp_path):
    """Foreground, then --detach: the same data and key; SIGTERM and `down` stop all."""
    port = free_port()
    data = tmp_path / "data"
    first, lines = start(data, port)
    try:
        assert lines[:3] == [
            f"export HOKUSAI_API_ENDPOINT=http://127.0.0.1:{port}/api",
            f"export MLFLOW_TRACKING_URI=http://127.0.0.1:{port}/api/mlflow",
            lines[2],
        ]
        assert lines[2].startswith("export HOKUSAI_API_KEY=hk_test_")
        assert (data / "env").read_text().splitlines()[1:4] == lines[:3]
        assert create_experiment(lines, "survives-restart") == 200
    finally:
        left = stop(first)
    assert not left, f"processes left after SIGTERM: {left}"
    assert (data / "dev-key").stat().st_mode & 0o777 == 0o600
    assert not (data / "env").exists() and not (data / "local.pid").exists()

    up = hokusai(
        "local", "up", "--detach", "--port", str(port), "--data-dir", str(data), cwd=tmp_path
    )
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"Registry ready at http://127.0.0.1:{port}/api/mlflow" in up.stdout
    pid = int((data / "local.pid").read_text())
    try:
        relines = (data / "env").read_text().splitlines()[1:]
        assert relines[2] == lines[2], "the development key stays the same across restarts"
        assert experiment_exists(relines, "survives-restart")
        again = hokusai("local", "up", "--detach", "--data-dir", str(data), cwd=tmp_path)
        assert again.returncode == 0 and "already running" in again.stdout
        descendants = children_of(pid)
    finally:
        down = hokusai("local", "down", "--data-dir", str(data), cwd=tmp_path)
    assert down.stdout.strip() == f"Stopped the registry of {data} (pid {pid})."
    assert not {p for p in {pid, *descendants} if alive(p)}, "processes left after down"
    assert not (data / "env").exists() and not (data / "local.pid").exists()
    assert hokusai("local", "down", "--data-dir", str(data), cwd=tmp_path).stdout.strip() == (
        f"No registry is running for {data}."
    )


def test_port_in_use_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            local_up(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
