"""mkdocs hook: where the site and the source live, and the version selector.

* The site's address and the link to the source come from ``[project.urls]`` in
  ``pyproject.toml`` (``Documentation``, ``Source``), the one place they are written.
  While they are placeholders (they contain ``FILL-IN``), the site gets neither: no
  page points at an address that is not the project's. ``nox -s build`` and
  ``nox -s publish-docs`` refuse to run at all in that state.
* When mike builds a version (``nox -s publish-docs``; mike sets ``MIKE_DOCS_VERSION``),
  Material's version selector is switched on: it reads ``versions.json`` from the root
  of the deployed site (``../versions.json`` from a version's folder). A plain
  ``mkdocs build`` has no ``versions.json``, so the selector stays off there instead of
  requesting a file that does not exist.

The source link goes in the footer (``extra.social``), not in ``repo_url``: for a
GitHub ``repo_url`` Material's JavaScript asks GitHub's API for the repository's stars,
and the site must not load anything from another host.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PLACEHOLDER = "FILL-IN"
MIKE_VERSION_VARIABLE = "MIKE_DOCS_VERSION"  # set by mike while it builds a version


def project_urls(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """The ``[project.urls]`` table of ``pyproject``."""
    with pyproject.open("rb") as file:
        return dict(tomllib.load(file)["project"].get("urls", {}))


def placeholder_urls(urls: dict[str, str]) -> list[str]:
    """The names of the URLs that still hold the placeholder.

    Examples:
        >>> placeholder_urls({"Source": "https://github.com/FILL-IN-OWNER/x", "Home": "https://h.org"})
        ['Source']
    """
    return [name for name, url in urls.items() if PLACEHOLDER in url]


@event_priority(100)  # before mike's plugin, which appends the version to site_url
def on_config(config: Any) -> Any:
    urls = project_urls()
    if not placeholder_urls(urls):
        config["site_url"] = urls["Documentation"]
        social = config["extra"].setdefault("social", [])
        social.append(
            {"icon": "fontawesome/brands/github", "link": urls["Source"], "name": "Source"}
        )
    if os.environ.get(MIKE_VERSION_VARIABLE):
        config["extra"]["version"] = {"provider": "mike", "default": "latest", "alias": True}
    return config
