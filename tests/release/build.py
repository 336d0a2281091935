"""``nox -s build``: build the sdist and the wheel, and prove they are fit to publish.

Steps, in order; the first that fails stops the build with a message naming the file
or the artifact and what to do:

1. ``pyproject.toml``'s project URLs are real, not placeholders.
2. ``uv build`` writes the sdist, then builds the wheel *from the sdist* (so the wheel
   proves the sdist holds what a rebuild needs) into ``dist/``.
3. A release version (``X.Y.Z`` on a tag ``vX.Y.Z``, no ``.dev``/``+local`` part) must
   have its entry in ``CHANGELOG.md``; ``--tag vX.Y.Z`` (the workflow passes the tag it
   runs for) also requires the built version to be ``X.Y.Z``.
4. ``twine check --strict`` on both.
5. The contents of both (:mod:`tests.release.artifacts`).
6. Each installed into a fresh venv and used (:mod:`tests.release.smoke`).

Run from the root of a checkout: ``python -m tests.release.build [--tag vX.Y.Z]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.release import artifacts, changelog
from tests.release.project import ARTIFACT_PREFIX, ROOT, ReleaseError, require_real_urls, uv
from tests.release.smoke import smoke_test


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        raise ReleaseError(f"expected one {pattern} in {dist}, found {[p.name for p in found]}")
    return found[0]


def build_artifacts(dist: Path, root: Path = ROOT) -> tuple[Path, Path, str]:
    """``(sdist, wheel, version)`` freshly built into ``dist`` (emptied first)."""
    shutil.rmtree(dist, ignore_errors=True)
    result = subprocess.run(
        [uv(), "build", "--quiet", "--out-dir", str(dist), str(root)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise ReleaseError(f"uv build failed:\n{result.stdout}{result.stderr}")
    sdist = _one(dist, f"{ARTIFACT_PREFIX}-*.tar.gz")
    wheel = _one(dist, f"{ARTIFACT_PREFIX}-*-py3-none-any.whl")
    version = sdist.name.removeprefix(f"{ARTIFACT_PREFIX}-").removesuffix(".tar.gz")
    return sdist, wheel, version


def check_version(version: str, tag: str | None, root: Path = ROOT) -> str:
    """Which changelog rule applied; ReleaseError when the version may not be released."""
    if tag is not None and tag != f"v{version}":
        raise ReleaseError(
            f"the tag is {tag} but the build's version is {version}: build from a clean "
            f"checkout of the tagged commit (uncommitted changes make a .dev version)."
        )
    if not changelog.is_release(version):
        return f"{version} is a development version: no changelog entry needed"
    changelog.require_entry(version, root / changelog.CHANGELOG.name)
    return f"CHANGELOG.md has the entry for {version}"


def _twine_check(*paths: Path) -> None:
    command = [sys.executable, "-m", "twine", "check", "--strict", *map(str, paths)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ReleaseError(f"twine check --strict failed:\n{result.stdout}{result.stderr}")


def build(dist: Path, tag: str | None = None, root: Path = ROOT) -> list[str]:
    """Steps 1-6 of the module docstring; the lines to report."""
    require_real_urls(root)
    sdist, wheel, version = build_artifacts(dist, root)
    report = [f"built {sdist.name} and {wheel.name}", check_version(version, tag, root)]
    _twine_check(sdist, wheel)
    report.append("twine check --strict: PASSED for both")
    problems = artifacts.sdist_problems(sdist, root) + artifacts.wheel_problems(
        wheel, version, root
    )
    if problems:
        raise ReleaseError("the artifacts are not fit to publish:\n  " + "\n  ".join(problems))
    report.append(
        "contents: the sdist holds every tracked file it includes, the wheel only hokusai/"
    )
    with tempfile.TemporaryDirectory(prefix="hokusai-smoke-") as scratch:
        for artifact in (wheel, sdist):
            report += smoke_test(artifact, version, Path(scratch) / artifact.name)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s build --", description=__doc__.split("\n")[0])
    parser.add_argument("--tag", help="the release tag being built (vX.Y.Z): versions must agree")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "dist", help="default: dist/")
    args = parser.parse_args(argv)
    try:
        for line in build(args.out_dir, args.tag):
            print(line, flush=True)
    except ReleaseError as refusal:
        print(f"build failed: {refusal}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
