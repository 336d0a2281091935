"""Install one artifact into a fresh venv and use it as a user would.

In the new venv: ``uv pip install <artifact>`` (an sdist is built there, without git,
so its version must come from its own PKG-INFO), ``uv pip check``, then
``hokusai --version`` must print the built version, ``import hokusai`` must report it,
and MLflow itself must load the header plugin from the entry point and send the key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.release.project import ReleaseError, uv

# Run inside the fresh venv. MLflow's own header registry must include the plugin's
# header: that is what a plain `mlflow` call sends.
IMPORT_CHECK = """
import sys
import hokusai
from mlflow.tracking.request_header.registry import resolve_request_headers

expected, key = sys.argv[1], sys.argv[2]
assert hokusai.__version__ == expected, f"hokusai.__version__ is {hokusai.__version__}"
sent = resolve_request_headers().get("X-API-Key")
assert sent == key, f"MLflow's request headers carry X-API-Key={sent!r}, not the key"
print(f"import hokusai: {hokusai.__version__}; MLflow sends X-API-Key from the plugin")
"""
SMOKE_KEY = "hk_test_" + "0" * 32


def _run(command: list[str], what: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise ReleaseError(f"{what} failed ({' '.join(command)}):\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def smoke_test(artifact: Path, version: str, venv: Path) -> list[str]:
    """Install ``artifact`` into a new venv at ``venv`` and check it; the lines it printed.

    Raises:
        ReleaseError: a step failed; the message names the artifact and the step.
    """
    name = artifact.name
    python = venv / "bin" / "python"
    _run([uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], f"{name}: uv venv")
    install = [uv(), "pip", "install", "--quiet", "--python", str(python), str(artifact)]
    _run(install, f"{name}: install into a fresh venv")
    _run([uv(), "pip", "check", "--python", str(python)], f"{name}: uv pip check")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOKUSAI_", "MLFLOW_"))}
    env |= {"HOKUSAI_API_KEY": SMOKE_KEY, "HOKUSAI_CONFIG": str(venv / "no-config.toml")}
    shown = _run([str(venv / "bin" / "hokusai"), "--version"], f"{name}: hokusai --version", env)
    if shown != f"hokusai, version {version}":
        raise ReleaseError(f"{name}: hokusai --version printed {shown!r}, not version {version}")
    imported = _run([str(python), "-c", IMPORT_CHECK, version, SMOKE_KEY], f"{name}: import", env)
    return [f"{name}: {shown}", f"{name}: {imported}"]
