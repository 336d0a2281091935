"""``nox -s publish-docs -- <version> [alias] [--push]``: a version of the site, with mike.

mike builds the site (``mkdocs build`` with the project's ``mkdocs.yml``) and commits
it to the local ``gh-pages`` branch under ``<version>/``, with ``versions.json`` at the
root for Material's version selector. An alias (``latest``) points at the version;
publishing ``latest`` also makes it the default the site's root redirects to.
``--push`` pushes ``gh-pages`` to ``origin``. The release workflow passes
``--latest-if-newest`` instead of an alias: ``latest`` moves only when the version is
the newest release tag, so docs for a patch of an older line do not take it over.

It refuses, saying why, unless:

* the project URLs are real (the site's address comes from them);
* the checkout has no uncommitted changes (the site must be the commit's);
* the installed ``hokusai-ml-platform`` is ``<version>`` (each page's stamp names the
  installed version: check out the tag ``v<version>``);
* the doc tests passed on this commit with that version (:mod:`tests.release.record`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

from packaging.version import InvalidVersion, Version

from tests.release.project import (
    DIST_NAME,
    ROOT,
    ReleaseError,
    git,
    head_commit,
    require_real_urls,
    uncommitted_changes,
)
from tests.release.record import require_passing_record

DEFAULT_ALIAS = "latest"


def _mike() -> str:
    here = Path(sys.executable).parent / "mike"
    found = str(here) if here.exists() else shutil.which("mike")
    if not found:
        raise ReleaseError("mike not found: run this through python3 -m nox -s publish-docs")
    return found


def newest_release(root: Path = ROOT) -> str | None:
    """The newest final version among the tags ``vX.Y.Z`` (pre-releases left out)."""
    versions = []
    for tag in git("tag", "--list", "v*", root=root).splitlines():
        try:
            versions.append(Version(tag.removeprefix("v")))
        except InvalidVersion:
            continue
    final = [v for v in versions if not (v.is_prerelease or v.is_postrelease or v.local)]
    return str(max(final)) if final else None


def check_publishable(version: str, root: Path = ROOT) -> str:
    """The commit to publish; :class:`ReleaseError` if ``version`` may not be published."""
    require_real_urls(root)
    changes = uncommitted_changes(root)
    if changes:
        raise ReleaseError(
            "the checkout has uncommitted changes, so the site would not be any commit's: "
            "commit or stash them (git status):\n  " + "\n  ".join(changes)
        )
    installed = installed_version(DIST_NAME)
    if installed != version:
        raise ReleaseError(
            f"this environment has {DIST_NAME} {installed}, so the pages would say "
            f"{installed}, not {version}: check out the tag v{version} and run again."
        )
    commit = head_commit(root)
    require_passing_record(commit, version, root)
    return commit


def publish(version: str, alias: str | None, push: bool = False, root: Path = ROOT) -> str:
    """Deploy ``version`` (and ``alias``) to ``gh-pages``; the commit it came from."""
    commit = check_publishable(version, root)
    message = f"Docs {version} from {commit[:12]}"
    push_flag = ["--push"] if push else []
    deploy = [_mike(), "deploy", "--update-aliases", "--message", message, *push_flag, version]
    _run([*deploy, *([alias] if alias else [])], root)
    if alias == DEFAULT_ALIAS:
        _run([_mike(), "set-default", *push_flag, DEFAULT_ALIAS], root)
    return commit


def _run(command: list[str], root: Path) -> None:
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise ReleaseError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nox -s publish-docs --", description=__doc__.split("\n")[0]
    )
    parser.add_argument("version", help="the version to publish, e.g. 0.2.0")
    parser.add_argument("alias", nargs="?", help=f"an alias for it, e.g. {DEFAULT_ALIAS}")
    parser.add_argument("--push", action="store_true", help="push gh-pages to origin")
    parser.add_argument(
        "--latest-if-newest",
        action="store_true",
        help=f"alias {DEFAULT_ALIAS} if the version is the newest release tag, else none",
    )
    args = parser.parse_args(argv)
    if args.latest_if_newest:
        if args.alias:
            parser.error("give an alias or --latest-if-newest, not both")
        args.alias = DEFAULT_ALIAS if newest_release() == args.version else None
    try:
        commit = publish(args.version, args.alias, args.push)
    except ReleaseError as refusal:
        print(f"publish-docs refused: {refusal}", file=sys.stderr)
        return 1
    aliases = f" (alias {args.alias})" if args.alias else ""
    print(f"gh-pages: docs {args.version}{aliases} from {commit[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
