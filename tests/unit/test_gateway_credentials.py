"""Credential parsing: every accepted style, and every malformed one refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hokusai.gateway.credentials import CredentialError, authorize, check_key, find_credentials
from hokusai.gateway.keys import ApiKey

KEY = "hk_live_" + "A" * 32
OTHER = "hk_live_" + "B" * 32


def creds(headers: list[tuple[str, str | bytes]] = (), query: str = "", allow_query: bool = True):
    raw = [(n.encode(), v if isinstance(v, bytes) else v.encode()) for n, v in headers]
    return find_credentials(raw, query, allow_query)


def refused(*args, **kwargs) -> CredentialError:
    with pytest.raises(CredentialError) as info:
        creds(*args, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("headers", "query", "source"),
    [
        ([("Authorization", f"Bearer {KEY}")], "", "Authorization"),
        ([("authorization", f"bearer   {KEY} ")], "", "Authorization"),
        ([("Authorization", f"ApiKey {KEY}")], "", "Authorization"),
        ([("X-API-Key", KEY)], "", "X-API-Key"),
        ([], f"run_id=1&api_key={KEY}", "api_key"),
        ([], f"api%5Fkey={KEY}", "api_key"),
        # The MLflow client sends both when HOKUSAI_API_KEY and MLFLOW_TRACKING_TOKEN are set.
        ([("X-API-Key", KEY), ("Authorization", f"Bearer {KEY}")], "", "X-API-Key"),
    ],
)
def test_each_style_yields_the_key(headers, query, source):
    found = creds(headers, query)
    assert found.secret == KEY
    assert found.source == source


def test_no_credentials_is_none():
    assert creds([("Accept", "application/json")], "run_id=1") is None


@pytest.mark.parametrize(
    ("headers", "query", "code", "words"),
    [
        ([("X-API-Key", "")], "", "UNAUTHENTICATED", "Empty API key in X-API-Key"),
        ([("Authorization", "Bearer ")], "", "UNAUTHENTICATED", "Empty API key in Authorization"),
        ([("Authorization", "")], "", "UNAUTHENTICATED", "Empty Authorization header"),
        ([], "api_key=", "UNAUTHENTICATED", "Empty API key in the api_key query parameter"),
        (
            [("Authorization", "Basic dTpw")],
            "",
            "UNAUTHENTICATED",
            "Unsupported Authorization scheme 'Basic'",
        ),
        ([("Authorization", KEY)], "", "UNAUTHENTICATED", "Unsupported Authorization scheme"),
        (
            [("X-API-Key", "hk_live_é".encode("latin-1"))],
            "",
            "INVALID_PARAMETER_VALUE",
            "Malformed API key in X-API-Key",
        ),
        (
            [("Authorization", "Bearer hk_\u00e9".encode("utf-8"))],
            "",
            "INVALID_PARAMETER_VALUE",
            "Malformed API key in Authorization",
        ),
        ([("X-API-Key", "k" * 300)], "", "INVALID_PARAMETER_VALUE", "at most 256 characters"),
        ([("Authorization", "Bearer " + "k" * 257)], "", "INVALID_PARAMETER_VALUE", "at most 256"),
        ([("Authorization", "Bearer a b")], "", "INVALID_PARAMETER_VALUE", "without spaces"),
        (
            [],
            "api_key=%E2%9C%93",
            "INVALID_PARAMETER_VALUE",
            "Malformed API key in the api_key query",
        ),
        (
            [("X-API-Key", KEY), ("X-API-Key", KEY)],
            "",
            "INVALID_PARAMETER_VALUE",
            "X-API-Key credential was sent 2 times",
        ),
        (
            [],
            f"api_key={KEY}&api_key={KEY}",
            "INVALID_PARAMETER_VALUE",
            "api_key credential was sent 2 times",
        ),
        (
            [("X-API-Key", KEY), ("Authorization", f"Bearer {OTHER}")],
            "",
            "INVALID_PARAMETER_VALUE",
            "Conflicting credentials",
        ),
        (
            [("X-API-Key", KEY)],
            f"api_key={OTHER}",
            "INVALID_PARAMETER_VALUE",
            "2 different API keys",
        ),
    ],
)
def test_malformed_credentials_are_refused_with_a_clear_message(headers, query, code, words):
    error = refused(headers, query)
    assert error.error_code == code
    assert words in error.message
    assert KEY not in error.message and OTHER not in error.message


def test_query_key_when_disabled_says_what_to_send_instead():
    error = refused([], f"api_key={KEY}", allow_query=False)
    assert error.error_code == "UNAUTHENTICATED"
    assert "query parameter is disabled" in error.message and "X-API-Key" in error.message


def _key(**kwargs) -> ApiKey:
    fields = {
        "id": "key_1",
        "name": "t",
        "display_prefix": "hk_live_AAAA",
        "scopes": frozenset({"read"}),
        "created_at": datetime.now(UTC),
    }
    return ApiKey(**{**fields, **kwargs})


def test_check_key_refuses_missing_unknown_revoked_expired():
    present = creds([("X-API-Key", KEY)])
    cases = {
        "missing": (None, None, "API key required"),
        "unknown": (None, present, "not recognised"),
        "revoked": (_key(revoked_at=datetime.now(UTC)), present, "key_1 has been revoked"),
        "expired": (
            _key(expires_at=datetime.now(UTC) - timedelta(seconds=1)),
            present,
            "key_1 expired at",
        ),
    }
    for reason, (key, credential, words) in cases.items():
        with pytest.raises(CredentialError) as info:
            check_key(key, credential)
        assert (info.value.reason, info.value.error_code) == (reason, "UNAUTHENTICATED")
        assert words in info.value.message
    assert check_key(_key(), present).id == "key_1"


def test_missing_scope_is_permission_denied_naming_the_scope():
    with pytest.raises(CredentialError) as info:
        authorize(_key(), "write", "POST", "/api/2.0/mlflow/runs/create")
    assert info.value.error_code == "PERMISSION_DENIED"
    assert (
        "lacks the 'write' scope needed for POST /api/2.0/mlflow/runs/create" in info.value.message
    )
    assert "--scope write" in info.value.message
    authorize(_key(scopes=frozenset({"admin"})), "write", "POST", "/x")  # admin implies all
