"""The shipped rules (deploy/prometheus/): valid, unit-tested by promtool, and about the
metrics the gateway really exports.

``promtool test rules`` runs ``hokusai-rules.test.yml``, the synthetic series in which
each alert fires and stays quiet; the tests here also make sure those cases can fail
(an alert that never or always fires breaks them) and that every alert has both.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from hokusai.gateway import metrics
from tests.monitoring.prometheus import (
    CONFIG,
    DEPLOY,
    ROOT,
    RULE_TESTS,
    RULES,
    binary,
    shipped_alerts,
)

ALERTS = ("HokusaiAuthFailuresHigh", "HokusaiMlflowUnreachable", "HokusaiLatencyHigh",
          "HokusaiRegistrationsFailing")  # fmt: skip
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"


def promtool(*args: str, cwd: Path = DEPLOY) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_promtool_accepts_the_rules_and_the_configuration():
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    checked = promtool("check", "config", CONFIG.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_unit_tests_pass():
    tested = promtool("test", "rules", RULE_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_stays_quiet():
    cases = [case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
             for case in test.get("alert_rule_test", [])]  # fmt: skip
    assert sorted(shipped_alerts()) == sorted(ALERTS)
    for alert in ALERTS:
        mine = [case for case in cases if case["alertname"] == alert]
        assert any(case["exp_alerts"] for case in mine), f"{alert}: no case where it fires"
        assert any(not case["exp_alerts"] for case in mine), f"{alert}: no quiet case"


@pytest.mark.parametrize("alert", ALERTS)
@pytest.mark.parametrize("broken", ["vector(0) > 1", "vector(1)"], ids=["never", "always"])
def test_the_unit_tests_fail_when_an_alert_never_or_always_fires(tmp_path, alert, broken):
    assert_unit_tests_fail(tmp_path, alert, expr=broken)


def assert_unit_tests_fail(tmp_path: Path, alert: str, **changed: str) -> None:
    """The shipped unit tests, run on the shipped rules with ``alert``'s rule ``changed``,
    fail at that alert."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                rule.update(changed)
    (tmp_path / RULES.name).write_text(yaml.safe_dump(rules))
    (tmp_path / RULE_TESTS.name).write_text(RULE_TESTS.read_text())
    tested = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    output = tested.stdout + tested.stderr
    assert tested.returncode != 0 and f"alertname: {alert}" in output, output


@pytest.mark.parametrize("wait", ["0s", "2m"])
def test_the_unit_tests_fail_when_the_auth_alert_waits_another_time_than_1m(tmp_path, wait):
    # The Monitoring page's run shortens this `for:`; the unit tests pin the shipped one.
    groups = yaml.safe_load(RULES.read_text())["groups"]
    shipped = {rule.get("alert"): rule for group in groups for rule in group["rules"]}
    assert shipped["HokusaiAuthFailuresHigh"]["for"] == "1m"
    assert_unit_tests_fail(tmp_path, "HokusaiAuthFailuresHigh", **{"for": wait})


def test_every_alert_says_what_happened_and_links_its_troubleshooting_entry():
    with (ROOT / "pyproject.toml").open("rb") as file:
        site = tomllib.load(file)["project"]["urls"]["Documentation"]
    anchors = set(re.findall(r"^#+ .*\{ *#([\w-]+) *\}\s*$", TROUBLESHOOTING.read_text(), re.M))
    for name, rule in shipped_alerts().items():
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        url = annotations["runbook_url"]
        assert url == f"{site}troubleshooting/#{name.lower()}", (name, url)
        assert name.lower() in anchors, f"docs/troubleshooting.md has no {{ #{name.lower()} }}"
        assert rule["labels"]["severity"] in ("warning", "critical"), name


def _fixed_values(metric: metrics.Metric) -> dict[str, set[str]]:
    return {label: set(values) for label, values in metric.labels.items() if isinstance(values, dict)}  # fmt: skip


def test_the_rules_read_only_metrics_and_label_values_the_gateway_exports():
    defined = {m.name: m for m in metrics.METRICS}
    histograms = {f"{m.name}_{part}": m for m in metrics.METRICS if m.kind == "histogram"
                  for part in ("bucket", "sum", "count")}  # fmt: skip
    groups = yaml.safe_load(RULES.read_text())["groups"]
    expressions = [rule["expr"] for group in groups for rule in group["rules"]]
    used = set()
    for expr in expressions:
        for name, matchers in re.findall(
            r"(?<![\w:])(hokusai_gateway_\w+)(?![\w:])(?:\{([^}]*)\})?", expr
        ):
            metric = defined.get(name) or histograms.get(name)
            assert metric is not None, f"{name} is no metric of the gateway (metrics.METRICS)"
            used.add(metric.name)
            fixed = _fixed_values(metric)
            for label, operator, value in re.findall(r'(\w+)\s*(!?=~?)\s*"([^"]*)"', matchers):
                assert label in metric.labels or label == "le", f"{name} has no label {label}"
                if label in fixed and "~" not in operator:
                    assert value in fixed[label], f"{name}: {label}={value!r} is never exported"
    unused = {m.name for m in metrics.METRICS} - used
    assert unused == {metrics.KEY_REQUESTS.name}, f"metrics no rule reads: {unused}"
