"""The warm interpreter (tests/docs/warm.py) behaves as the real one for what pages run.

Each script runs twice in the same folder, once with the warm ``python``/``hokusai``
on PATH and once with the real ones, and must print the same and exit the same.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.docs.evaluators import WARM, block_environment
from tests.docs.warm import COLD

pytestmark = pytest.mark.skipif(COLD, reason="HOKUSAI_DOCS_COLD=1: no warm interpreter")

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


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_warm_python_behaves_as_the_real_one(script, tmp_path):
    warm = run(script, block_environment(), tmp_path)
    cold = run(script, cold_environment(), tmp_path)
    assert warm == cold


def test_programs_really_start_warm(tmp_path):
    check = "python -c 'import sys; print(\"mlflow\" in sys.modules)'"
    assert run(check, block_environment(), tmp_path)[1] == "True\n"
    assert run(check, cold_environment(), tmp_path)[1] == "False\n"
