"""The warm interpreter (tests/docs/warm.py) behaves as the real one for what pages run.

Each script runs twice in the same folder, once with the warm ``python``/``hokusai``
on PATH and once with the real ones, and must print the same and exit the same.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.docs import warm
from tests.docs.evaluators import WARM, block_environment

needs_warm = pytest.mark.skipif(WARM.cold, reason=f"no warm interpreter: {WARM.cold_reason}")

SCRIPTS = {
    "argv, sys.path[0], cwd, __name__ of -c": (
        "python -c 'import os, sys; print(sys.argv, repr(sys.path[0]), os.getcwd(), __name__)' a b"
    ),
    "a script file, and its traceback": (
        "printf 'import os, sys\\nprint(__file__, sys.argv, sys.path[0] == os.getcwd())\\n1/0\\n' > s.py\n"
        "python s.py x y"
    ),
    "stdin with a traceback": (
        "python - extra <<'EOF'\nimport sys\nprint(sys.argv)\nraise ValueError('boom')\nEOF"
    ),
    "a library's traceback": "python -c 'import json; json.loads(\"{\")'",
    "-m with stdin": "python -m json.tool <<< '{\"a\": 1}'",
    "sys.exit(3)": "python -c 'import sys; sys.exit(3)'",
    "sys.exit(message)": "python3 -c 'import sys; sys.exit(\"stopped: reason\")'",
    "an unclosed file is flushed": 'python -c \'f = open("out.txt", "w"); f.write("kept")\'; cat out.txt',
    "threads joined, atexit run": (
        "python -c 'import atexit, threading, time\n"
        'atexit.register(print, "atexit")\n'
        'threading.Thread(target=lambda: (time.sleep(0.2), print("thread"))).start()\n'
        'print("main")\''
    ),
    "environment from the shell": (
        'FOO=bar env -u HOME python -c \'import os; print(os.environ["FOO"], os.environ.get("HOME"))\''
    ),
    "SIGTERM ends it like the real one": (
        "python -c 'import time; time.sleep(30)' & P=$!; sleep 0.3; kill $P; wait $P || echo \"exit $?\""
    ),
    "options it does not know run the real python": "python -u -c 'print(1)'",
    "the hokusai console script": 'hokusai --version; hokusai keys --help; hokusai no-such-command || echo "exit $?"',
}


def cold_environment() -> dict[str, str]:
    env = block_environment()
    env.pop("HOKUSAI_DOCS_WARM_SOCKET")
    shims = WARM.environment()["PATH"]
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != shims)
    return env


def run(script: str, env: dict[str, str], cwd) -> tuple[int, str, str]:
    result = subprocess.run(
        ["bash", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    return result.returncode, result.stdout, result.stderr


@needs_warm
@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_warm_python_behaves_as_the_real_one(script, tmp_path):
    warm = run(script, block_environment(), tmp_path)
    cold = run(script, cold_environment(), tmp_path)
    assert warm == cold


@needs_warm
def test_programs_really_start_warm(tmp_path):
    check = "python -c 'import sys; print(\"mlflow\" in sys.modules)'"
    assert run(check, block_environment(), tmp_path)[1] == "True\n"
    assert run(check, cold_environment(), tmp_path)[1] == "False\n"


@needs_warm
def test_forked_programs_inherit_no_blas_thread_pool(tmp_path):
    # The server fitted a model before forking; with more than one BLAS thread a forked
    # child could deadlock in its first BLAS call.
    check = (
        "python -c 'from threadpoolctl import threadpool_info; "
        'print(sorted({p["num_threads"] for p in threadpool_info()}))\''
    )
    assert run(check, block_environment(), tmp_path)[1] == "[1]\n"


def test_where_the_fork_server_cannot_run_blocks_run_cold_with_a_warning(monkeypatch):
    monkeypatch.setattr(warm, "COLD", False)
    monkeypatch.setattr(warm, "unsupported", lambda: "the warm interpreter needs Linux (this is x)")
    interpreter = warm.WarmInterpreter()
    interpreter.start()
    assert interpreter.process is None
    with pytest.warns(UserWarning, match="docs run cold: the warm interpreter needs Linux"):
        assert interpreter.environment() == {}
