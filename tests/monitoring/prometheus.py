"""A real Prometheus for the tests, and the shipped files it runs with.

Debian's ``prometheus`` package brings both binaries, ``prometheus`` and ``promtool``
(``nox -s tests`` installs it when it runs as root, as CI does; elsewhere the tests
that need it skip, naming the package). :class:`Prometheus` runs the server on a free
loopback port with its own data directory and a configuration derived from the shipped
``deploy/prometheus/prometheus.yml``, and reads its HTTP API.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from hokusai.local import free_port
from tests.support.polling import eventually

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "prometheus"
RULES = DEPLOY / "hokusai-rules.yml"
RULE_TESTS = DEPLOY / "hokusai-rules.test.yml"
CONFIG = DEPLOY / "prometheus.yml"
MISSING = (
    "{name} is not installed: `apt-get install prometheus` (Debian's package brings "
    "prometheus and promtool; `nox -s tests` installs it when run as root)"
)
T = TypeVar("T")


def binary(name: str) -> str:
    """The path of ``prometheus`` or ``promtool``; skips the test when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(MISSING.format(name=name))
    return path


def installed() -> bool:
    return shutil.which("prometheus") is not None and shutil.which("promtool") is not None


def shipped_alerts() -> dict[str, dict[str, Any]]:
    """The alerting rules of the shipped rules file, by name."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def rules_without_waits() -> str:
    """The shipped rules with every alert's ``for:`` set to ``0s``, all else unchanged.

    ``for:`` only delays an alert whose expression holds (the shipped ones wait one to
    ten minutes); the promtool unit tests check those waits at their shipped values, so
    a test that watches a real Prometheus needs only the expressions, labels and
    annotations, and gets them without waiting minutes.
    """
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = "0s"
    return yaml.safe_dump(rules, sort_keys=False)


class Prometheus:
    """``prometheus`` on a free port scraping ``targets`` every ``interval``, with
    ``rules``; the shipped configuration's scrape job otherwise."""

    def __init__(self, workdir: Path, targets: list[str], rules: str, interval: str = "1s"):
        self.workdir = workdir
        self.port = free_port()
        config = yaml.safe_load(CONFIG.read_text())
        config["global"].update(scrape_interval=interval, evaluation_interval=interval)
        (job,) = config["scrape_configs"]
        job["static_configs"] = [{"targets": targets}]
        self.job = job["job_name"]
        (workdir / "rules.yml").write_text(rules)
        config["rule_files"] = [str(workdir / "rules.yml")]
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log_path = workdir / "prometheus.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    binary("prometheus"),
                    f"--config.file={workdir / 'prometheus.yml'}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_for(lambda: self._ready(), "Prometheus to be ready", timeout=60)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    def api(self, path: str, **params: str) -> Any:
        """``data`` of a Prometheus HTTP API answer (``/api/v1/<path>``)."""
        query = "?" + urllib.parse.urlencode(params) if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as response:
            answer = json.load(response)
        assert answer["status"] == "success", answer
        return answer["data"]

    def value(self, expr: str) -> float | None:
        """The value of a PromQL expression with one result (``None``: no result)."""
        result = self.api("query", query=expr)["result"]
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None

    def alerts(self) -> dict[str, list[dict[str, Any]]]:
        """The active (pending or firing) alerts, by name."""
        active: dict[str, list[dict[str, Any]]] = {}
        for alert in self.api("alerts")["alerts"]:
            active.setdefault(alert["labels"]["alertname"], []).append(alert)
        return active

    def firing(self) -> set[str]:
        return {name for name, found in self.alerts().items() if found[0]["state"] == "firing"}

    def evaluations(self) -> dict[str, str]:
        """When each rule group was last evaluated (RFC 3339), by group name."""
        return {g["name"]: g["lastEvaluation"] for g in self.api("rules")["groups"]}

    def wait_for(self, check: Callable[[], T], what: str, timeout: float = 60.0) -> T:
        """Poll ``check`` until it returns something true; that is returned."""

        def alive_and(check: Callable[[], T] = check) -> T:
            if self.process.poll() is not None:
                raise AssertionError(f"Prometheus exited while waiting for {what}:\n{self.log()}")
            return check()

        def detail() -> str:
            state = self.api("alerts") if self._ready() else "not ready"
            return f"alerts: {state}\n{self.log()[-3000:]}"

        return eventually(alive_and, what, timeout, interval=0.25, detail=detail)

    def evaluated_again(self) -> None:
        """Wait until every rule group has been evaluated twice more (the alerts see
        the recording rules' latest results)."""
        for _ in range(2):
            before = self.evaluations()
            self.wait_for(
                lambda before=before: all(
                    self.evaluations()[name] != last for name, last in before.items()
                ),
                "the rules to be evaluated again",
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
