"""One precedence rule for every entry point; `hokusai login` writes a private file."""

from __future__ import annotations

import stat

import pytest
from click.testing import CliRunner

from hokusai import ModelRegistry
from hokusai.cli import main
from hokusai.config import read_config_file, resolve_api_key, resolve_tracking_uri
from hokusai.errors import ConfigurationError
from hokusai.tracking import ExperimentManager, PerformanceTracker


def test_default_when_nothing_is_configured(clean_env):
    assert resolve_tracking_uri().value == "https://registry.hokus.ai/api/mlflow"
    assert resolve_tracking_uri().source == "default"
    assert resolve_api_key() is None


def test_file_then_environment_then_argument(clean_env, monkeypatch):
    clean_env.write_text('api_key = "hk_file"\ntracking_uri = "http://file:1/api/mlflow"\n')
    assert resolve_api_key().source == f"config file ({clean_env})"
    assert resolve_tracking_uri().value == "http://file:1/api/mlflow"
    monkeypatch.setenv("HOKUSAI_API_ENDPOINT", "http://endpoint:2/api")
    assert resolve_tracking_uri().value == "http://endpoint:2/api/mlflow"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:3/api/mlflow")
    monkeypatch.setenv("HOKUSAI_API_KEY", "hk_env")
    assert resolve_tracking_uri().source == "environment (MLFLOW_TRACKING_URI)"
    assert resolve_api_key().value == "hk_env"
    assert resolve_api_key("hk_arg").source == "argument"


@pytest.mark.parametrize("cls", [ModelRegistry, ExperimentManager])
def test_every_class_uses_the_same_rule(clean_env, monkeypatch, cls):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:3/api/mlflow")
    assert cls().tracking_uri == "http://env:3/api/mlflow"
    assert cls(tracking_uri="http://arg:4/api/mlflow/").tracking_uri == "http://arg:4/api/mlflow"
    assert PerformanceTracker().experiments.tracking_uri == "http://env:3/api/mlflow"


def test_non_http_uri_is_a_configuration_error(clean_env):
    with pytest.raises(ConfigurationError, match="is not an http"):
        ModelRegistry(tracking_uri="registry.hokus.ai/api/mlflow")


def test_broken_config_file_says_which_file(clean_env):
    clean_env.write_text("api_key = \n")
    with pytest.raises(ConfigurationError, match=str(clean_env)):
        resolve_api_key()


def test_login_writes_a_0600_file_and_the_sdk_reads_it(clean_env):
    result = CliRunner().invoke(
        main,
        [
            "login",
            "--api-key",
            "hk_test_abcdefghijklmnop",
            "--tracking-uri",
            "http://h:5/api/mlflow/",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"to {clean_env} (permissions 0600)" in result.output
    assert "hk_test_abcdefghijklmnop" not in result.output  # never echo the key
    assert stat.S_IMODE(clean_env.stat().st_mode) == 0o600
    assert read_config_file(clean_env) == {
        "api_key": "hk_test_abcdefghijklmnop",
        "tracking_uri": "http://h:5/api/mlflow",
    }
    registry = ModelRegistry()
    assert registry.tracking_uri == "http://h:5/api/mlflow"


def test_login_again_keeps_the_uri_and_tightens_permissions(clean_env):
    clean_env.write_text('tracking_uri = "http://h:5/api/mlflow"\n')
    clean_env.chmod(0o644)
    result = CliRunner().invoke(main, ["login"], input="hk_test_second_key_12345\n")
    assert result.exit_code == 0, result.output
    assert "hk_test_second_key_12345" not in result.output  # prompt hides input
    assert read_config_file(clean_env)["tracking_uri"] == "http://h:5/api/mlflow"
    assert read_config_file(clean_env)["api_key"] == "hk_test_second_key_12345"
    assert stat.S_IMODE(clean_env.stat().st_mode) == 0o600


def test_login_to_an_explicit_path_creates_private_directory(clean_env, tmp_path):
    target = tmp_path / "new-dir" / "cfg.toml"
    result = CliRunner().invoke(main, ["login", "--api-key", "hk_test_k", "--config", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_login_rejects_bad_uri(clean_env):
    result = CliRunner().invoke(main, ["login", "--api-key", "k", "--tracking-uri", "h:5"])
    assert result.exit_code == 1
    assert "is not an http(s) URL" in result.output
    assert not clean_env.exists()
