"""``nox -s build`` on scratch repositories: its refusals, versions, content checks.

Each test runs ``python -m tests.release.build`` (what the nox session runs) or its
functions in a scratch copy of this checkout, tagged there, so the real repository is
never tagged. A whole successful release build, through nox, is in test_contributing.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.release import artifacts
from tests.release.build import build_artifacts
from tests.release.scratch import commit, environment, release


def run_build(repo: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tests.release.build", *args]
    return subprocess.run(command, cwd=repo, env=environment(), capture_output=True, text=True)


def test_a_release_without_its_changelog_entry_fails_naming_the_file(scratch: Path):
    release(scratch, "0.3.0", changelog_entry=False)
    result = run_build(scratch)
    assert result.returncode == 1
    assert "build failed: CHANGELOG.md has no entry for version 0.3.0" in result.stderr
    assert "'## [0.3.0] - " in result.stderr


def test_the_build_fails_while_the_project_urls_are_placeholders(scratch_with_placeholders):
    release(scratch_with_placeholders, "0.2.0")
    result = run_build(scratch_with_placeholders)
    assert result.returncode == 1
    assert "build failed: pyproject.toml: [project.urls] Homepage, Documentation" in result.stderr
    assert "still contain 'FILL-IN'" in result.stderr
    assert not (scratch_with_placeholders / "dist").exists()


def test_a_tag_that_disagrees_with_the_version_fails(scratch: Path):
    release(scratch, "0.2.0")
    (scratch / "README.md").write_text("uncommitted change\n")  # makes a .dev version
    result = run_build(scratch, "--tag", "v0.2.0")
    assert result.returncode == 1
    assert re.search(
        r"the tag is v0\.2\.0 but the build's version is 0\.2\.1\.dev0\+g", result.stderr
    )


def test_versions_before_and_after_a_tag(scratch: Path, tmp_path: Path):
    _, _, untagged = build_artifacts(tmp_path / "untagged", scratch)
    assert re.fullmatch(r"0\.0\.1\.dev1\+g[0-9a-f]{7,}", untagged), untagged
    release(scratch, "0.2.0")  # on the tag itself: 0.2.0 (test_contributing.py)
    commit(scratch, "work after the release")
    _, _, after = build_artifacts(tmp_path / "after", scratch)
    assert re.fullmatch(r"0\.2\.1\.dev1\+g[0-9a-f]{7,}", after), after


def test_the_content_checks_catch_untracked_files_tests_and_local_data(scratch: Path):
    (scratch / "src" / "hokusai" / "scratch_notes.py").write_text("# not committed\n")
    sdist, wheel, version = build_artifacts(scratch / "dist", scratch)
    assert artifacts.sdist_problems(sdist, scratch) == [
        "sdist holds src/hokusai/scratch_notes.py, which git does not track"
    ]
    doctored = scratch / "dist" / "doctored.whl"
    with zipfile.ZipFile(wheel) as original, zipfile.ZipFile(doctored, "w") as copy:
        for item in original.infolist():
            if item.filename != "hokusai/errors.py":
                copy.writestr(item, original.read(item))
        copy.writestr("tests/test_x.py", "")
        copy.writestr("hokusai/.hokusai/keys.db", "")
    assert artifacts.wheel_problems(wheel, version, scratch) == [
        "wheel holds hokusai/scratch_notes.py, which git does not track"
    ]
    assert artifacts.wheel_problems(doctored, version, scratch) == [
        "wheel lacks hokusai/errors.py",
        "wheel holds tests/test_x.py, outside hokusai/ and its dist-info",
        "wheel holds hokusai/.hokusai/keys.db",
        "wheel holds hokusai/scratch_notes.py, which git does not track",
    ]
