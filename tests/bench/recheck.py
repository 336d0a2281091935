"""One page re-checked after an edit: without a docs runner, and with one reused.

Run from the repository root (``nox -s bench`` runs it after the gateway table)::

    python -m tests.bench.recheck [--repeats N] [--json PATH] [--pages docs/<page>.md …]

For the Quickstart, Troubleshooting and Register pages, the wall time of
``pytest docs/<page>.md``:

* *cold*: no runner; the run starts its own registry and warm interpreter, as before;
* *runner*: ``HOKUSAI_DOCS_RUNNER`` names a running docs runner (``tests/docs/runner.py``,
  what ``nox -s serve`` starts); the run reuses its registry and warm interpreter;
* *preview*: the same, with pytest itself forked from the warm interpreter, as the live
  preview (``docs/hooks/live.py``) and ``python -m tests.docs.runner check`` run it.

Each figure is the median of ``--repeats`` runs (the cold one: of one run, since each
boots MLflow). Every run must pass; a failed run is reported, not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.docs.runner import STATE_VARIABLE, WARM_PYTEST, warm_environment
from tests.support.polling import eventually

ROOT = Path(__file__).resolve().parents[2]
# The two pages; Register, a page with no install block and no registry of its own.
PAGES = ("docs/quickstart.md", "docs/troubleshooting.md", "docs/register.md")
QUIET = ["-q", *WARM_PYTEST]


def log(message: str) -> None:
    print(f"[recheck] {message}", file=sys.stderr, flush=True)


def timed(page: str, env: dict[str, str]) -> float:
    """Seconds of one ``python -m pytest <page>``; raise with its output if it failed."""
    started = time.perf_counter()
    result = subprocess.run(["python", "-m", "pytest", page, *QUIET], cwd=ROOT, env=env,
                            capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if result.returncode:
        raise RuntimeError(f"pytest {page} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return seconds


def _environment(state: Path | None = None, preview: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != STATE_VARIABLE}
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    if state is not None:
        env[STATE_VARIABLE] = str(state)
    return warm_environment(state, env) if preview else env


def measure(repeats: int = 3, pages=PAGES) -> dict[str, dict[str, float]]:
    """{page: {"cold": s, "runner": s, "preview": s}}."""
    figures: dict[str, dict[str, float]] = {page: {} for page in pages}
    for page in pages:
        log(f"{page}: cold")
        figures[page]["cold"] = timed(page, _environment())
    with tempfile.TemporaryDirectory(prefix="hokusai-recheck-") as tmp:
        state = Path(tmp) / "runner.json"
        log("starting a docs runner")
        runner = subprocess.Popen([sys.executable, "-m", "tests.docs.runner", "--state", str(state)],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        try:
            eventually(lambda: state.exists() or runner.poll() is not None, "the runner", 300)
            if not state.exists():
                raise RuntimeError("the docs runner exited before it was ready")
            for page in pages:
                for mode, env in (("runner", _environment(state)),
                                  ("preview", _environment(state, preview=True))):  # fmt: skip
                    log(f"{page}: {mode} x{repeats}")
                    runs = [timed(page, env) for _ in range(repeats)]
                    figures[page][mode] = statistics.median(runs)
        finally:
            os.killpg(runner.pid, signal.SIGINT)
            runner.wait(120)
    return figures


def table(figures: dict[str, dict[str, float]]) -> str:
    lines = [
        "| page | cold (no runner) | runner reused | as the preview runs it | cold / runner | cold / preview |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page, f in figures.items():
        lines.append(
            f"| `{page}` | {f['cold']:.1f} s | {f['runner']:.1f} s | {f['preview']:.1f} s "
            f"| {f['cold'] / f['runner']:.1f}x | {f['cold'] / f['preview']:.1f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--pages", nargs="+", default=PAGES, help="default: %(default)s")
    args = parser.parse_args(argv)
    figures = measure(args.repeats, args.pages)
    print("\nOne page re-checked (`pytest docs/<page>.md`, wall time):\n")
    print(table(figures), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
