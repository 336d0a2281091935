"""Developer and CI tasks. `python -m nox -s tests` is what CI runs (.ci/run).

Sessions: tests (unit + integration + docs, the CI job), doctest (the docs only),
docs (strict site build), serve (live docs, the Quickstart's environment), update (rewrite
snippet .out files), lint, stress (fuzzing, faults, load), bench, lock (regenerate uv.lock),
build (wheel + sdist, checked), publish-docs (a version of the site onto gh-pages),
compat (the support matrix on the Install page), lowest (the lowest versions pyproject allows).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import nox
from nox.virtualenv import UV

nox.needs_version = ">=2025.2"
nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
COMPAT_RECORD = ROOT / "snippets" / "install" / "compat.json"
PYTEST_NO_TESTS = 5


def install(session: nox.Session, *groups: str, extras: str = "server") -> None:
    """The package (editable, with extras) plus dependency groups, at the versions in uv.lock.

    ``uv sync --locked`` also fails when pyproject.toml changed and uv.lock was not
    regenerated (``nox -s lock``). Bytecode is compiled at install: this machine sets
    PYTHONDONTWRITEBYTECODE=1, and without .pyc files every interpreter the tests start
    recompiles MLflow (20+ s instead of 3).
    """
    selection = [f"--extra={extras}"] if extras else []
    selection += [f"--group={group}" for group in groups]
    sync(session, *selection)


def sync(session: nox.Session, *selection: str) -> None:
    env = {"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}
    # Compiling checks all ~15k files (2 s): only when the venv is new or the lock changed.
    compiled = Path(session.virtualenv.location) / ".compiled-for-lock"
    lock = (ROOT / "uv.lock").read_bytes()
    if not compiled.exists() or compiled.read_bytes() != lock:
        env["UV_COMPILE_BYTECODE"] = "1"
    ran = session.run_install(UV, "sync", "--locked", *selection, env=env, external=True)
    if ran is not None and "UV_COMPILE_BYTECODE" in env:  # None: skipped (nox -R)
        compiled.write_bytes(lock)


def ensure_debian_package(
    session: nox.Session, command: str, package: str, without: str, *options: str
) -> None:
    """Debian's ``package`` when ``command`` is missing: installed with apt-get when this
    runs as root (as CI does), else a warning saying what happens ``without`` it."""
    if shutil.which(command):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-q", external=True, env=env)
        session.run("apt-get", "install", "-y", "-q", *options, package, external=True, env=env)
    else:
        session.warn(f"{command} is not installed (apt-get install {package}): {without}")


def ensure_chromium(session: nox.Session) -> None:
    """Debian's Chromium for the browser test (Playwright cannot download its own here)."""
    ensure_debian_package(session, "chromium", "chromium", "the browser test will skip")


def ensure_prometheus(session: nox.Session) -> None:
    """Debian's Prometheus (``prometheus`` and ``promtool``) for the alert-rule tests and
    the Monitoring page. Without recommends (the node exporter). Its postinst asks to
    start a ``prometheus`` service on :9090 (denied in a container without an init
    system); nothing here uses that one: every test and the page start their own, on a
    free port."""
    ensure_debian_package(
        session,
        "promtool",
        "prometheus",
        "the alert-rule tests will skip and docs/monitoring.md will fail",
        "--no-install-recommends",
    )


def pytest(session: nox.Session, *args: str) -> None:
    code = session.run(
        "python", "-m", "pytest", *args, *session.posargs, success_codes=[0, PYTEST_NO_TESTS]
    )
    if code == PYTEST_NO_TESTS:
        session.error("pytest collected no tests: the selection or the test layout is broken")


def static_checks(session: nox.Session) -> None:
    """ruff (lint and format) over the code, the tests and the snippets; mypy over src/."""
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")  # files and options: [tool.mypy] in pyproject.toml


@nox.session
def tests(session: nox.Session) -> None:
    """The static checks, then unit, integration and documentation tests, one local
    registry for all of them."""
    install(session, "test", "docs", "release", "lint")
    static_checks(session)
    ensure_chromium(session)
    ensure_prometheus(session)
    pytest(session, "tests", "docs", "src/hokusai", "--doctest-modules")


@nox.session
def doctest(session: nox.Session) -> None:
    """Execute every page of docs/ and every docstring example, or only the pages named
    after ``--`` (``nox -s doctest -- docs/register.md``). With HOKUSAI_DOCS_RUNNER set
    (see `serve`), the pages run against the docs runner's registry."""
    install(session, "test", "docs")
    ensure_chromium(session)  # presses every page's copy buttons (else a page is unverified)
    ensure_prometheus(session)  # docs/monitoring.md runs Prometheus
    named = any(Path(arg.split("::")[0]).exists() for arg in session.posargs)
    pytest(session, *(() if named else ("docs", "tests/docs", "src/hokusai", "--doctest-modules")))


@nox.session
def update(session: nox.Session) -> None:
    """Rewrite the snippets' .out files from what they print now, and the Browse page's
    screenshots from the browser test (review the diff!)."""
    install(session, "test")
    ensure_chromium(session)
    session.env["HOKUSAI_UPDATE_GOLDENS"] = "1"
    pytest(session, "docs", "tests/integration/test_ui_browser.py")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site with `mkdocs build --strict` into site/."""
    install(session, "docs")  # the server extra: reference pages import the gateway settings
    session.run("mkdocs", "build", "--strict")


@nox.session
def serve(session: nox.Session) -> None:
    """The live docs on http://127.0.0.1:8000, next to a running local registry (the
    docs runner), in the environment the Quickstart uses.

    The runner (`tests/docs/runner.py`: `hokusai local up` on free ports, data in
    .hokusai/docs-runner/, and the warm interpreter) checks each page you save, in the
    preview, and serves `python -m tests.docs.runner check docs/<page>.md` (or pytest
    with HOKUSAI_DOCS_RUNNER=.hokusai/docs-runner.json) in another terminal. It never
    takes port 5000: the Quickstart's `hokusai local up --detach` does, in the reader's
    own folder.
    Ctrl-C stops the site, the registry and every check still running.
    """
    install(session, "docs", "test")  # the server extra and scikit-learn: all the Quickstart needs
    activate = Path(session.virtualenv.location).resolve().relative_to(ROOT) / "bin" / "activate"
    print(
        "\nThe docs: http://127.0.0.1:8000, next to a local registry (the docs runner) that\n"
        "checks every page you save, in the preview. In a new terminal here, in "
        f"{ROOT},\nactivate this environment (the Quickstart's too):  source {activate}\n"
        "and check a page against the runner:  python -m tests.docs.runner check docs/<page>.md\n",
        flush=True,
    )
    session.run(
        "python", "-m", "tests.docs.runner", "--", "mkdocs", "serve", "-a", "127.0.0.1:8000"
    )


@nox.session
def compat(session: nox.Session) -> None:
    """The support matrix: the client install and the Quickstart on Python 3.11-3.13, the
    lowest and newest MLflow for client and server, MLflow 2.x code through the gateway.

    Writes the record the Install page shows (snippets/install/compat.json) and the
    table printed from it (matrix.out). ``nox -s tests`` runs the Python and server axes.
    """
    install(session, "test")
    session.env["HOKUSAI_COMPAT_AXES"] = "python,server,mlflow"
    session.env["HOKUSAI_COMPAT_RECORD"] = str(COMPAT_RECORD)
    try:
        pytest(session, "tests/install")
    finally:
        table = session.run("python", str(COMPAT_RECORD.with_name("matrix.py")), silent=True)
        COMPAT_RECORD.with_name("matrix.out").write_text(table)


@nox.session
def lowest(session: nox.Session) -> None:
    """The unit, integration and docstring tests on the lowest version of every dependency
    pyproject.toml declares, test tools included (``uv pip install --resolution lowest-direct``)."""
    env = {"UV_COMPILE_BYTECODE": "1"}
    # One resolution: installing the test tools afterwards would upgrade shared packages.
    session.install("--resolution", "lowest-direct", "-e", ".[server]", "--group", "test", env=env)
    session.run("python", "-m", "tests.install.lowest")  # fails unless each bound is what runs
    # The shipped route table is generated for the locked MLflow; on another version the
    # gateway derives it live (it says so at start), which the other tests then use.
    shipped = "tests/unit/test_gateway_routes.py::test_shipped_table_equals_the_installed_mlflow"
    pytest(session, "tests/unit", "tests/integration", "src/hokusai", "--doctest-modules",
           f"--deselect={shipped}")  # fmt: skip


@nox.session(venv_backend="none")
def lock(session: nox.Session) -> None:
    """Regenerate uv.lock after a change to the dependencies in pyproject.toml."""
    session.run(UV, "lock", *session.posargs, external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy (`static_checks`); actionlint over the workflows."""
    install(session, "lint")  # with the server extra: mypy reads its libraries' types
    static_checks(session)
    session.run("actionlint")  # .github/workflows/; shellcheck (also installed) checks run: steps


@nox.session
def build(session: nox.Session) -> None:
    """Wheel and sdist into dist/, twine check, contents, smoke test each in a fresh venv.

    Fails while pyproject.toml's URLs are placeholders, and on a release version without
    its CHANGELOG.md entry. `-- --tag vX.Y.Z` also requires the version to match the tag.
    """
    sync(session, "--only-group=release")
    session.run("python", "-m", "tests.release.build", *session.posargs, env={"UV": UV})


@nox.session(name="publish-docs")
def publish_docs(session: nox.Session) -> None:
    """`-- <version> [alias] [--push]`: this commit's site onto the gh-pages branch, with mike.

    Refuses unless the doc tests passed on this commit (their verified-run record).
    """
    install(session, "docs", "release")
    session.run("python", "-m", "tests.release.publish_docs", *session.posargs)


@nox.session
def stress(session: nox.Session) -> None:
    """Reliability under stress: >= 10,000 fuzzed requests, faults, 64 clients x 60 s (~15 min)."""
    install(session, "test")
    session.env["HYPOTHESIS_PROFILE"] = "stress"
    session.env["HOKUSAI_STRESS"] = "1"
    pytest(session, "tests/reliability")


@nox.session
def bench(session: nox.Session) -> None:
    """Gateway vs direct MLflow vs nginx, `nox -s doctest`'s time, and one page re-checked
    with and without the docs runner; prints ratios, writes JSON."""
    install(session, "test", "docs")  # docs: the re-checked pages build with the site's config
    timing = []
    if os.environ.get("HOKUSAI_BENCH_DOCTEST", "1") != "0":  # 0: skip the doctest timing
        doctest = [sys.executable, "-m", "nox", "-s", "doctest"]
        session.run(*doctest, "--install-only", external=True)  # timed with its venv reused
        started = time.perf_counter()
        session.run(*doctest, external=True)
        timing = ["--doctest-seconds", f"{time.perf_counter() - started:.1f}"]
    session.run("python", "-m", "tests.bench.run", *timing, *session.posargs)


if __name__ == "__main__":
    sys.exit("run me with: python -m nox")
