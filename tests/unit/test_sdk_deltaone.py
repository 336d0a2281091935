"""DeltaOne arithmetic: at least one percentage point over the baseline, no registry needed."""

from __future__ import annotations

import math

import pytest

from hokusai.errors import ValidationError
from hokusai.tracking import DeltaOneResult, delta_one


@pytest.mark.parametrize(
    ("baseline", "new", "achieved"),
    [
        (0.85, 0.86, True),  # exactly one point
        (0.29, 0.30, True),  # one point although 0.30 - 0.29 < 0.01 in floating point
        (0.85, 0.8599, False),
        (0.85, 0.85, False),
        (0.85, 0.80, False),
        (0.0, 1.0, True),
    ],
)
def test_one_percentage_point_is_the_bar(baseline, new, achieved):
    result = delta_one("accuracy", baseline, new)
    assert result.achieved is achieved
    assert bool(result) is achieved
    assert math.isclose(result.delta_pp, (new - baseline) * 100, abs_tol=1e-9)


def test_lower_is_better_counts_a_drop_as_the_improvement():
    dropped = delta_one("error_rate", 0.12, 0.10, lower_is_better=True)
    assert (dropped.achieved, dropped.delta_pp, dropped.improvement_pp) == (True, -2.0, 2.0)
    assert not delta_one("error_rate", 0.10, 0.12, lower_is_better=True)


def test_threshold_is_configurable_in_points():
    assert not delta_one("f1", 0.80, 0.815, threshold_pp=2.0)
    assert delta_one("f1", 0.80, 0.82, threshold_pp=2.0)
    with pytest.raises(ValidationError, match="threshold_pp must be positive"):
        delta_one("f1", 0.80, 0.82, threshold_pp=0)


@pytest.mark.parametrize(("baseline", "new"), [(85, 87), (0.5, 2.3), (-0.1, 0.5)])
def test_values_outside_zero_to_one_are_refused_not_guessed(baseline, new):
    with pytest.raises(ValidationError, match="is not a fraction between 0 and 1"):
        delta_one("accuracy", baseline, new)


def test_strings_and_names_are_checked():
    with pytest.raises(ValidationError, match=r"Pass baseline_value=0\.85"):
        delta_one("accuracy", "0.85", 0.9)
    with pytest.raises(ValidationError, match="metric_name must be a non-empty string"):
        delta_one("", 0.85, 0.9)


def test_result_is_json_ready_and_reads_old_field_names_with_a_warning():
    result = delta_one("accuracy", 0.825, 0.840)
    record = result.to_dict()
    assert record["achieved"] is True and record["improvement_pp"] == pytest.approx(1.5)
    assert set(record) >= {"metric_name", "baseline_value", "new_value", "delta_pp"}
    with pytest.warns(DeprecationWarning, match="use .delta_pp"):
        assert result.delta_value == pytest.approx(0.015)
    with pytest.warns(DeprecationWarning, match="use .new_value"):
        assert result.current_value == 0.840
    assert isinstance(result, DeltaOneResult)
    assert not hasattr(result, "webhook")
