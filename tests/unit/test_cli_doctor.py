"""`hokusai doctor` without a registry: configuration and connection problems are named."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from hokusai.cli import main


@pytest.fixture
def env(clean_env):
    """Nothing configured (see tests/unit/conftest.py)."""
    return clean_env


def dead_uri() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api/mlflow"


def doctor(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, ["doctor", "--json", "--timeout", "2", *args], env=env)
    return result, {c["name"]: c for c in json.loads(result.output)["checks"]}


def test_stopped_gateway_is_connection_refused_with_local_up_fix(env):
    uri = dead_uri()
    result, checks = doctor(
        env={"MLFLOW_TRACKING_URI": uri, "HOKUSAI_API_KEY": "hk_test_abcdefghijklmnop"}
    )
    assert result.exit_code == 1
    assert checks["tracking URI"]["detail"] == f"{uri} (from environment (MLFLOW_TRACKING_URI))"
    assert checks["API key"]["detail"] == "hk_test_…mnop (from environment (HOKUSAI_API_KEY))"
    assert checks["dns"]["status"] == "pass"
    assert checks["connection"]["status"] == "fail"
    assert "connection refused" in checks["connection"]["detail"]
    assert "hokusai local up" in checks["connection"]["fix"]
    assert checks["authentication"]["status"] == "skip"


def test_no_key_is_named_with_how_to_set_one(env):
    _result, checks = doctor("--tracking-uri", dead_uri())
    assert checks["tracking URI"]["detail"].endswith("(from argument)")
    assert checks["API key"]["status"] == "fail"
    assert "hokusai login --api-key <key>" in checks["API key"]["fix"]


def test_unresolvable_host_fails_dns(env):
    _result, checks = doctor(
        "--tracking-uri", "http://no-such-host.invalid/api/mlflow", "--api-key", "k"
    )
    assert checks["dns"]["status"] == "fail"
    assert checks["connection"]["status"] == "skip"


def test_table_output_lists_fixes_and_exits_1(env):
    result = CliRunner().invoke(main, ["doctor", "--tracking-uri", dead_uri(), "--timeout", "1"])
    assert result.exit_code == 1
    assert "connection         FAIL" in result.output
    assert "How to fix:" in result.output
