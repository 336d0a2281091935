"""Settings: every field is a HOKUSAI_GATEWAY_* variable, and `to_env` hands them on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hokusai.gateway.settings import ENV_PREFIX, GatewaySettings


def test_every_field_comes_from_its_environment_variable(monkeypatch):
    values = {
        "mlflow_url": "http://mlflow:5000",
        "db_url": "postgresql://u@db/keys",
        "host": "0.0.0.0",
        "port": "9000",
        "workers": "4",
        "connect_timeout": "1.5",
        "read_timeout": "60",
        "total_timeout": "600",
        "max_connections": "10",
        "keepalive_timeout": "2",
        "identity_header": "X-Owner",
        "request_id_header": "X-Trace-Id",
        "forward_headers": "x-a, X-B",
        "remove_headers": "cookie",
        "allow_query_key": "false",
        "session_lifetime": "3600",
        "secure_cookies": "true",
        "access_log": "false",
        "log_level": "warning",
        "debug_headers": "true",
        "metrics_key_ids": "1",
    }
    assert set(values) == set(GatewaySettings.model_fields), "a new setting needs a line here"
    for name, value in values.items():
        monkeypatch.setenv(ENV_PREFIX + name.upper(), value)
    settings = GatewaySettings()
    assert settings.port == 9000 and settings.workers == 4 and settings.total_timeout == 600
    assert settings.forward_headers == ("x-a", "x-b")
    assert settings.remove_headers == ("cookie",)
    assert settings.allow_query_key is False and settings.access_log is False
    assert settings.debug_headers is True and settings.metrics_key_ids is True
    assert settings.session_lifetime == 3600 and settings.secure_cookies is True
    assert GatewaySettings(**{}).model_dump() == settings.model_dump()


def test_to_env_round_trips(monkeypatch):
    settings = GatewaySettings(
        mlflow_url="http://m:1", remove_headers=("x-a", "x-b"), allow_query_key=False
    )
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    assert GatewaySettings() == settings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("identity_header", "X Bad"),
        ("workers", 0),
        ("read_timeout", 0),
        ("port", "x"),
        ("mlflow_url", "localhost:5000"),
        ("mlflow_url", "ftp://mlflow"),
        ("mlflow_url", "http://mlflow:port"),
    ],
)
def test_invalid_values_are_refused(field, value):
    with pytest.raises(ValidationError):
        GatewaySettings(**{field: value})
