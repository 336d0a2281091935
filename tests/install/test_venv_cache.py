"""Install venvs kept across sessions (`tests.docs.venv_cache`): reused only while
nothing that decides their content changed, with a record of what made them.

Here, not in tests/docs/: each venv costs seconds, and `nox -s doctest` has a budget."""

from __future__ import annotations

import json

import pytest

from tests.docs import install, venv_cache
from tests.docs.evaluators import DocBlockError
from tests.docs.install import Recipe
from tests.docs.test_harness import run_page

CHECK = Recipe("python -m pip check")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(venv_cache, "CACHE", tmp_path / "install-venvs")
    monkeypatch.delenv(venv_cache.REBUILD, raising=False)
    return tmp_path / "install-venvs"


def made(recipe: Recipe) -> tuple[install.Venv, str]:
    """The recipe's venv as a new test session gets it, and how it got it."""
    session = install._Session()
    try:
        venv = session.install(recipe)
        return venv, session.built[-1][2]
    finally:
        session.cleanup()


def record_of(venv: install.Venv) -> dict:
    return json.loads((venv.path.parent / "record.json").read_text())


def test_a_venv_is_reused_only_while_nothing_that_made_it_changed(cache, monkeypatch):
    first, how = made(CHECK)
    assert how == "built"
    second, how = made(CHECK)
    assert (how, second.path) == ("reused", first.path)
    [run] = record_of(second)["runs"]
    assert [(step["command"], step["returncode"]) for step in run["steps"]] == [
        ("python -m pip check", 0)
    ]
    assert second.output == run["steps"][-1]["stdout"] == "No broken requirements found.\n"

    # Another command (a same-venv block after it): another venv, the first one kept.
    chain = CHECK.followed_by("python -m pip list --format=freeze")
    other, how = made(chain)
    assert how == "built" and other.path != first.path
    assert [step["command"] for step in record_of(other)["runs"][0]["steps"]] == chain.commands
    assert made(CHECK)[1] == "reused"

    # A new commit (the package's version comes from git): the package is reinstalled
    # where the commands installed it.
    package = Recipe("python -m pip install --no-deps .")
    made(package)
    monkeypatch.setattr(venv_cache, "version_source", lambda: "v9.9.9-1-gdeadbee")
    again, how = made(package)
    assert how == "package reinstalled"
    [built, reinstalled] = record_of(again)["runs"]
    assert reinstalled["version_source"] == "v9.9.9-1-gdeadbee"
    [step] = reinstalled["steps"]
    assert step["command"].startswith("python -m pip install --no-deps --force-reinstall ")
    assert "Successfully installed hokusai-ml-platform" in step["stdout"]
    assert again.output == built["steps"][-1]["stdout"]  # the block's own command's
    again, how = made(CHECK)
    assert how == "reused" and record_of(again)["runs"][-1]["steps"] == []

    # A day later, pip would pick newer releases: rebuilt.
    later = venv_cache._now() + venv_cache.MAX_AGE
    monkeypatch.setattr(venv_cache, "_now", lambda: later)
    assert made(CHECK)[1] == "built"

    # Something else changed the venv: rebuilt.
    [site_packages] = first.path.glob("lib/python*/site-packages")
    (site_packages / "intruder-1.0.dist-info").mkdir()
    assert made(CHECK)[1] == "built"
    assert not (site_packages / "intruder-1.0.dist-info").exists()

    monkeypatch.setenv(venv_cache.REBUILD, "1")
    assert made(CHECK)[1] == "built"


def test_a_failed_command_leaves_no_entry_to_reuse(cache):
    broken = Recipe("python -m pip install ./no-such-folder")
    for _ in range(2):
        with pytest.raises(install.InstallFailed, match="no-such-folder"):
            made(broken)
    assert list(cache.glob("*/record.json")) == []


def test_a_failing_install_block_fails_at_its_page_line(tmp_path, cache):
    # A venv that is never kept costs its seconds on every run: here, not in tests/docs/.
    page = "# Install\n\n```bash\npython -m pip install ./no-such-folder\n```\n"
    with pytest.raises(DocBlockError, match=r"page\.md:3: 'python -m pip install ./no-such-folder"):
        run_page(tmp_path, page)
