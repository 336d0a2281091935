"""CONTRIBUTING.md's "Releasing" section, run as written on a scratch repository.

The blocks run in ``bash -e`` in a scratch copy of this checkout whose ``origin`` is a
local bare repository, so ``git push`` really pushes and nothing leaves the machine.
``python3 -m nox -s build`` runs the real nox session there (its own venv under the
scratch repository's ``.nox/``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.release.project import ROOT, require_real_urls
from tests.release.scratch import REAL_OWNER, add_changelog_entry, environment

CONTRIBUTING = ROOT / "CONTRIBUTING.md"
_FENCE = re.compile(r"^(?P<indent>[ ]*)```bash\n(?P<body>.*?)^(?P=indent)```$", re.M | re.S)


def releasing_blocks() -> list[str]:
    """The bash blocks of the "Releasing" section, in order, without their indentation."""
    return section_blocks("Releasing")


def section_blocks(heading: str) -> list[str]:
    """The bash blocks of CONTRIBUTING.md's ``## heading`` section, in order, without
    their indentation."""
    text = CONTRIBUTING.read_text()
    section = text[text.index(f"\n## {heading}\n") :]
    following = section.find("\n## ", 1)
    section = section if following == -1 else section[:following]
    blocks = []
    for fence in _FENCE.finditer(section):
        lines = fence["body"].splitlines()
        blocks.append("\n".join(line.removeprefix(fence["indent"]) for line in lines) + "\n")
    return blocks


def bash(repo: Path, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=repo,
        env=environment(),
        capture_output=True,
        text=True,
    )


def test_the_release_steps_run_as_written(scratch_with_placeholders: Path, tmp_path: Path):
    repo = scratch_with_placeholders
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    subprocess.run(["git", "remote", "add", "origin", str(origin)], cwd=repo, check=True)
    fill_in_urls, release, by_hand = releasing_blocks()
    assert "<github-owner>" in fill_in_urls

    done = bash(repo, fill_in_urls.replace("<github-owner>", REAL_OWNER))
    assert done.returncode == 0, done.stderr
    assert (
        require_real_urls(repo)["Source"] == f"https://github.com/{REAL_OWNER}/hokusai-ml-platform"
    )

    add_changelog_entry(repo, "0.2.0")  # step 1, an edit
    done = bash(repo, release)  # step 2: commit, tag, nox -s build, push
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Session build was successful" in done.stderr
    built = sorted(p.name for p in (repo / "dist").glob("hokusai_ml_platform-*"))
    assert built == [
        "hokusai_ml_platform-0.2.0-py3-none-any.whl",
        "hokusai_ml_platform-0.2.0.tar.gz",
    ]
    assert "CHANGELOG.md has the entry for 0.2.0" in done.stdout
    assert "twine check --strict: PASSED for both" in done.stdout
    for artifact in built:  # installed from the sdist too: its version came from PKG-INFO
        assert f"{artifact}: hokusai, version 0.2.0" in done.stdout
        assert f"{artifact}: import hokusai: 0.2.0; MLflow sends X-API-Key" in done.stdout
    pushed = subprocess.run(
        ["git", "ls-remote", "--heads", "--tags", str(origin)], capture_output=True, text=True
    ).stdout
    assert "refs/heads/main" in pushed and "refs/tags/v0.2.0" in pushed

    # The docs by hand: the doc test suite, then what test_publish_docs.py runs for each
    # version (the session's module, `python -m tests.release.publish_docs 0.2.0 latest`).
    assert by_hand == (
        "python3 -m nox -s doctest\npython3 -m nox -s publish-docs -- 0.2.0 latest\n"
    )
