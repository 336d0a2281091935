"""Install tests: their venvs build in the background from collection on; the
outcomes go to the compat record (:func:`tests.install.matrix.finish`)."""

from __future__ import annotations

import contextlib

import pytest

from tests.docs.install import VENVS
from tests.install import matrix

_outcomes: dict[str, str] = {}


def pytest_collection_modifyitems(config, items) -> None:
    if config.option.collectonly:
        return
    from tests.install.test_matrix import recipes

    for item in items:
        case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
        if isinstance(case, matrix.Case) and case.axis in matrix.AXES:
            # No such Python here: the test itself says so.
            with contextlib.suppress(pytest.skip.Exception, pytest.fail.Exception):
                VENVS.prefetch(*recipes(case))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
    if isinstance(case, matrix.Case) and report.when == "call":
        _outcomes[case.id] = report.outcome
    return report


def pytest_sessionfinish(session) -> None:
    matrix.finish(_outcomes)
