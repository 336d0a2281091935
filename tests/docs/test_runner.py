"""The docs runner's decisions that need no running registry: when a state file is
refused (and the one line that says why), and the in-place reset of a database that
another connection holds open, as the running MLflow and gateway hold theirs."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.docs import runner

ROOT = Path(__file__).resolve().parents[2]


def _state(tmp_path: Path, **changes) -> Path:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = runner.RunnerState(
        root=str(ROOT), source_stamp=runner.source_stamp(), runner_pid=os.getpid(),
        registry_pid=dead.pid, port=1, data_dir=str(tmp_path / "data"), env={},
        warm_pid=os.getpid(), warm_env={},
    )  # fmt: skip
    for name, value in changes.items():
        setattr(state, name, value)
    path = tmp_path / "runner.json"
    state.write(path)
    return path


def _decision(path: Path | str) -> str:
    """What a fresh process decides for ``HOKUSAI_DOCS_RUNNER=path`` (attached() is
    decided once per process)."""
    code = (
        "from tests.docs.runner import attached; a = attached(); print(a.state is None, a.message)"
    )
    env = {**os.environ, runner.STATE_VARIABLE: str(path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def test_a_missing_state_file_starts_a_registry_of_our_own(tmp_path):
    assert _decision(tmp_path / "nothing.json") == (
        f"True docs runner: {tmp_path / 'nothing.json'} does not exist; "
        "starting a registry of our own"
    )


def test_a_stale_state_file_says_which_process_is_gone(tmp_path):
    path = _state(tmp_path)
    registry_pid = json.loads(path.read_text())["registry_pid"]
    assert _decision(path) == (
        f"True docs runner: not using {path}: its registry (pid {registry_pid}) is not "
        "running; starting a registry of our own"
    )


def test_another_checkouts_runner_is_not_used(tmp_path):
    path = _state(tmp_path, root="/somewhere/else")
    assert "it serves another checkout (/somewhere/else)" in _decision(path)


def test_edited_sources_refuse_the_runner(tmp_path):
    path = _state(tmp_path, source_stamp="0/0", registry_pid=os.getpid(), port=_listening())
    assert "src/hokusai changed since it started (restart nox -s serve)" in _decision(path)


def _listening() -> int:
    """A port that answers /health: this test's own little server."""
    import http.server
    import threading

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def test_restore_puts_back_rows_another_connection_sees(tmp_path):
    data = tmp_path / "data"
    (data / "mlflow").mkdir(parents=True)
    for name in runner.DATABASES:
        with contextlib.closing(sqlite3.connect(data / name)) as db, db:
            db.execute("create table t (name text)")
            db.execute("insert into t values ('from the start')")
    runner.snapshot(data)
    held = sqlite3.connect(data / "keys.db", isolation_level=None)  # as the gateway holds it
    held.execute("insert into t values ('a run added this')")
    runner.restore(data)
    assert held.execute("select name from t").fetchall() == [("from the start",)]
    held.close()
