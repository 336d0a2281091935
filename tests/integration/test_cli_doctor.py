"""`hokusai doctor` names each real problem: wrong URL, revoked key, read-only key."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hokusai.cli import main


def create_key(local_registry, *scopes: str) -> tuple[str, str]:
    return local_registry.create_key(*scopes, prefix="doc")


def doctor(*args: str):
    result = CliRunner().invoke(main, ["doctor", "--json", *args])
    report = json.loads(result.stdout)
    return result.exit_code, {check["name"]: check for check in report["checks"]}


def test_healthy_registry_passes_everything(local_registry):
    code, checks = doctor()
    assert code == 0, checks
    assert {c["status"] for c in checks.values()} <= {"pass", "info"}
    assert checks["write permission"]["detail"].endswith("nothing written)")


def test_wrong_url_is_a_404_naming_the_right_one(local_registry):
    code, checks = doctor("--tracking-uri", local_registry.url + "/api/mlflow-typo")
    assert code == 1
    assert checks["gateway /health"]["status"] == "pass"
    assert checks["tracking URI path"]["status"] == "fail"
    assert f"{local_registry.url}/api/mlflow" in checks["tracking URI path"]["fix"]
    assert checks["authentication"]["status"] == "skip"


def test_revoked_key(local_registry):
    key_id, secret = create_key(local_registry, "read", "write")
    local_registry.hokusai("keys", "revoke", key_id)
    code, checks = doctor("--api-key", secret)
    assert code == 1
    assert checks["authentication"]["status"] == "fail"
    assert f"API key {key_id} has been revoked" in checks["authentication"]["detail"]
    assert "(key from argument)" in checks["authentication"]["detail"]
    assert "HOKUSAI_API_KEY" in checks["authentication"]["fix"]


@pytest.mark.parametrize(
    ("scopes", "failing"), [(("read",), "write permission"), (("write",), "read permission")]
)
def test_missing_scope_is_named(local_registry, scopes, failing):
    _key_id, secret = create_key(local_registry, *scopes)
    code, checks = doctor("--api-key", secret)
    assert code == 1
    assert checks["authentication"]["status"] == "pass"
    assert checks[failing]["status"] == "fail"
    missing = failing.split()[0]
    assert f"lacks the '{missing}' scope" in checks[failing]["detail"]
    assert f"'{missing}' scope" in checks[failing]["fix"]
