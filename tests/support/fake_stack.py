"""The gateway (proxy mode, under uvicorn in this process) in front of the recording
fake MLflow: module-scoped ``fake`` and ``gateway`` fixtures for the modules that test
the gateway over real sockets, where what MLflow received is read off the fake.

A module sets the two servers' options with a marker, for example::

    pytestmark = pytest.mark.fake_stack(mlflow={"delay": 3.0}, read_timeout=1.0)

``mlflow=`` goes to `FakeMlflow`; every other keyword to `ThreadedGateway` (gateway
settings). Without the marker both run with their defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.fake_mlflow import FakeMlflow
from tests.support.servers import ThreadedGateway

MARKER = "fake_stack"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(mlflow={{...}}, **gateway_settings): options of the fake_stack "
        "fixtures (`fake`, `gateway`) for this module",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture(scope="module")
def fake(request: pytest.FixtureRequest) -> Iterator[FakeMlflow]:
    """The recording fake MLflow, one per module."""
    with FakeMlflow(**_options(request).get("mlflow", {})) as server:
        yield server


@pytest.fixture(scope="module")
def gateway(fake: FakeMlflow, request: pytest.FixtureRequest) -> Iterator[ThreadedGateway]:
    """The gateway in front of `fake`, one per module."""
    settings = _options(request)
    settings.pop("mlflow", None)
    with ThreadedGateway(fake.url, **settings) as server:
        yield server
