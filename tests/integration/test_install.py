"""The Install page's command works: run exactly it, in a fresh virtual environment.

``--dry-run`` makes pip build the package and resolve every requirement of the
``server`` extra without installing MLflow a second time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMAND = 'python -m pip install ".[server]"'


def test_install_page_command_resolves_the_package_and_its_server_extra(tmp_path):
    assert f"```bash\n{COMMAND}\n```" in (ROOT / "docs" / "install.md").read_text()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", ".[server]"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    would_install = result.stdout.rsplit("Would install", 1)[-1]
    for distribution in (
        "hokusai-ml-platform-",
        "mlflow-3",
        "httptools-",
        "uvicorn-",
        "SQLAlchemy-",
    ):
        assert distribution in would_install, f"{distribution} missing from: {would_install}"
