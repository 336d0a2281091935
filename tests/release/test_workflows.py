"""The GitHub Actions workflows agree with the project (actionlint, in ``nox -s lint``,
checks that they are valid workflows; this checks that they do what the project says).
"""

from __future__ import annotations

import inspect
from typing import Any

import yaml

import noxfile
from tests.release.project import ROOT, supported_pythons

WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return data


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"].strip() for step in job["steps"] if "run" in step]


def test_ci_runs_ci_run_on_pushes_and_pull_requests_on_every_supported_python():
    ci = workflow("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    (job,) = ci["jobs"].values()
    assert job["strategy"]["matrix"]["python-version"] == supported_pythons()
    assert runs(job)[-1] == ".ci/run"
    assert job["steps"][0]["with"]["fetch-depth"] == 0, "the version needs the tags"


def test_a_version_tag_tests_builds_publishes_then_deploys_the_docs():
    release = workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert jobs["tests"]["strategy"]["matrix"]["python-version"] == supported_pythons()
    assert runs(jobs["tests"])[-1] == ".ci/run"
    assert (jobs["build"]["needs"], jobs["pypi"]["needs"], jobs["docs"]["needs"]) == (
        "tests",
        "build",
        "pypi",
    )
    assert 'python3 -m nox -s build -- --tag "$GITHUB_REF_NAME"' in runs(jobs["build"])
    deploy = runs(jobs["docs"])
    assert "python3 -m nox -s doctest" in deploy
    assert deploy[-1].endswith('publish-docs -- "${GITHUB_REF_NAME#v}" --latest-if-newest --push')


def test_pypi_is_reached_by_trusted_publishing_without_a_token():
    text = (WORKFLOWS / "release.yml").read_text()
    pypi = workflow("release.yml")["jobs"]["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}
    assert pypi["environment"]["name"] == "pypi"
    (upload,) = [step for step in pypi["steps"] if "gh-action-pypi-publish" in step.get("uses", "")]
    assert "with" not in upload, "no password or token input: PyPI trusts the OIDC token"
    assert "secrets." not in text and "password" not in text


def test_the_nox_sessions_run_the_release_modules_with_their_arguments():
    build = inspect.getsource(noxfile.build)
    publish = inspect.getsource(noxfile.publish_docs)
    assert '"python", "-m", "tests.release.build", *session.posargs' in build
    assert '"python", "-m", "tests.release.publish_docs", *session.posargs' in publish


def test_ci_run_is_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    ci_run = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_run in readme
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run is executable"


def test_every_job_that_runs_the_docs_installs_prometheus_first():
    # docs/monitoring.md runs Prometheus; noxfile.py can apt-get it only as root.
    release = workflow("release.yml")["jobs"]
    for job in (*workflow("ci.yml")["jobs"].values(), release["tests"], release["docs"]):
        steps = runs(job)
        install = [
            i for i, step in enumerate(steps) if "apt-get install" in step and "prometheus" in step
        ]
        tests = [
            i for i, step in enumerate(steps) if step in (".ci/run", "python3 -m nox -s doctest")
        ]
        assert install and tests and install[0] < tests[0], steps
