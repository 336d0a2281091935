"""``nox -s publish-docs``: what it refuses, and two versions deployed and switched.

The two-version test releases 0.2.0 and then 0.3.0 in a scratch repository, installs
each tagged package (built by hatch-vcs, so its version comes from the tag) ahead of
this venv's, runs ``python -m tests.release.publish_docs <version> latest`` (what the
nox session runs), serves the ``gh-pages`` branch as a static host would, and reads it
in Chromium: the selector switches between the versions, each page's stamp names its
own version, and nothing is loaded from any host but the local one.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from importlib.metadata import version as installed_version
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.docs import stamp, test_site
from tests.release.project import DIST_NAME, ReleaseError, uv
from tests.release.publish_docs import check_publishable, newest_release
from tests.release.record import RECORD
from tests.release.scratch import commit, environment, release, scratch_repository, tag
from tests.support.browser import CHROMIUM, launch_chromium

HERE = installed_version(DIST_NAME)  # what this venv's pages would say
site_url = test_site.site_url  # the docs tests' fixture: serves `site` (below) on 127.0.0.1


def write_record(repo: Path, commit: str, version: str, failed: tuple[str, ...] = ()) -> None:
    """A verified-run record as the doc tests write it (``tests/docs/stamp.py``, read by
    tests/release/record.py): every page of ``repo`` passed, except ``failed``, on
    ``commit`` with ``version``; the pages' stamps follow it."""
    docs = repo / "docs"
    pages = {
        f"docs/{page.relative_to(docs)}": {
            "sha256": stamp.page_hash(page, repo),
            "passed": f"docs/{page.relative_to(docs)}" not in failed,
        }
        for page in docs.rglob("*.md")
        if "hooks" not in page.relative_to(docs).parts
    }
    pages.update({page: {"passed": False} for page in failed})
    versions = {**stamp.versions(), DIST_NAME: version}
    stamp.write(pages, True, not failed, repo / RECORD, repo, commit=commit, versions=versions)


def head(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_commit_whose_doc_tests_passed_with_this_version_is_publishable(scratch: Path):
    write_record(scratch, head(scratch), HERE)
    assert check_publishable(HERE, scratch) == head(scratch)


@pytest.mark.parametrize(
    ("arrange", "refusal"),
    [
        (lambda repo: None, "no verified-run record for commit "),
        (lambda repo: write_record(repo, "0" * 40, HERE), "no verified-run record for commit "),
        (
            lambda repo: write_record(repo, head(repo), HERE, failed=("docs/quickstart.md",)),
            "did not pass (failed: docs/quickstart.md)",
        ),
        (lambda repo: write_record(repo, head(repo), "0.1.0"), "ran hokusai-ml-platform 0.1.0"),
        (
            lambda repo: (repo / "docs" / "index.md").write_text("edited\n"),
            "the checkout has uncommitted changes",
        ),
    ],
    ids=["no record", "another commit's", "failed", "another version's", "uncommitted changes"],
)
def test_publishing_is_refused(scratch: Path, arrange, refusal: str):
    arrange(scratch)
    with pytest.raises(ReleaseError) as refused:
        check_publishable(HERE, scratch)
    assert refusal in str(refused.value)


def test_publishing_another_version_than_the_installed_one_is_refused(scratch: Path):
    write_record(scratch, head(scratch), "9.9.9")
    with pytest.raises(ReleaseError) as refused:
        check_publishable("9.9.9", scratch)
    assert f"has {DIST_NAME} {HERE}, so the pages would say {HERE}, not 9.9.9" in str(refused.value)


def test_publishing_with_placeholder_urls_is_refused(scratch_with_placeholders: Path):
    write_record(scratch_with_placeholders, head(scratch_with_placeholders), HERE)
    with pytest.raises(ReleaseError, match=r"pyproject.toml: \[project.urls\]"):
        check_publishable(HERE, scratch_with_placeholders)


def test_latest_goes_to_the_newest_final_release_tag(scratch: Path):
    assert newest_release(scratch) is None
    for name in ("v0.2.0", "v0.10.0", "v0.9.3", "v1.0.0rc1", "vnext"):
        tag(scratch, name)
    assert newest_release(scratch) == "0.10.0"  # as versions, not as strings


def publish(repo: Path, version: str, packages: Path) -> None:
    """Release ``version`` in ``repo`` and publish its docs as ``latest``."""
    release(repo, version)
    target = packages / version  # the tagged package, ahead of this venv's on sys.path
    install = [uv(), "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(repo)]
    subprocess.run(install, check=True, capture_output=True, env=environment())
    env = environment(PYTHONPATH=str(target))
    # `hokusai --version` prints `hokusai.__version__`: the version the pages will name.
    cli = [sys.executable, "-m", "hokusai", "--version"]
    said = subprocess.run(cli, env=env, capture_output=True, text=True).stdout
    assert said == f"hokusai, version {version}\n"
    write_record(repo, head(repo), version)
    result = subprocess.run(
        [sys.executable, "-m", "tests.release.publish_docs", version, "latest"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"gh-pages: docs {version} (alias latest) from ")


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch repository with 0.2.0, then 0.3.0 (as latest) published."""
    tmp_path = tmp_path_factory.mktemp("two-versions")
    scratch = scratch_repository(tmp_path / "repo")
    publish(scratch, "0.2.0", tmp_path / "packages")
    (scratch / "docs" / "index.md").write_text(
        (scratch / "docs" / "index.md").read_text() + "\nNew in 0.3.0.\n"
    )
    commit(scratch, "A change for 0.3.0")
    publish(scratch, "0.3.0", tmp_path / "packages")
    return scratch


@pytest.fixture(scope="module")
def site(two_versions: Path) -> Path:
    """The gh-pages branch, checked out as a static host would have it."""
    site = two_versions.parent / "gh-pages"
    site.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "gh-pages"],
        cwd=two_versions,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(site, filter="tar")  # keeps mike's `latest` symlink
    return site


def test_gh_pages_holds_both_versions_with_latest_as_default(two_versions: Path):
    def show(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"gh-pages:{path}"],
            cwd=two_versions,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert json.loads(show("versions.json")) == [
        {"version": "0.3.0", "title": "0.3.0", "aliases": ["latest"]},
        {"version": "0.2.0", "title": "0.2.0", "aliases": []},
    ]
    assert 'window.location.replace(\n      "latest/"' in show("index.html")
    for version in ("0.2.0", "0.3.0"):
        page = show(f"{version}/install/index.html")
        assert f"Verified with hokusai-ml-platform {version}," in page
        assert (
            f'rel="canonical" href="https://hokusai-example.github.io/hokusai-ml-platform/{version}/install/"'
            in page
        )


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_selector_switches_versions_and_each_stamp_names_its_own(site_url: str):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(15_000)

        def local_only(route) -> None:
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", local_only)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))

        page.goto(site_url)  # the root redirects to the default, latest
        page.wait_for_url(f"{site_url}latest/")
        stamp = page.locator(".verified-with")
        assert "hokusai-ml-platform 0.3.0," in stamp.inner_text()
        assert "New in 0.3.0." in page.locator("article").inner_text()
        current = page.locator(".md-version__current")  # the version, then its alias
        assert current.inner_text() == "0.3.0latest"
        assert current.locator(".md-version__alias").inner_text() == "latest"

        page.goto(f"{site_url}latest/install/")
        page.locator(".md-version").hover()
        page.locator(".md-version__link", has_text="0.2.0").click()
        page.wait_for_url(f"{site_url}0.2.0/install/")
        assert "hokusai-ml-platform 0.2.0," in stamp.inner_text()
        assert current.inner_text() == "0.2.0"

        page.goto(f"{site_url}0.2.0/")
        assert "New in 0.3.0." not in page.locator("article").inner_text()
        page.locator(".md-version").hover()
        page.locator(".md-version__link", has_text="0.3.0").click()
        page.wait_for_url(f"{site_url}0.3.0/")
        assert "hokusai-ml-platform 0.3.0," in stamp.inner_text()
        browser.close()
    assert not outside, f"the site loaded from other hosts: {outside}"
    assert not errors, f"console errors: {errors}"
