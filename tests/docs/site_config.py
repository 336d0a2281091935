"""The site's own Markdown settings, read from ``mkdocs.yml`` the way mkdocs reads them.

The harness parses pages with these settings, so its idea of a page (which fences are
code blocks, what an include expands to) is the renderer's: mkdocs' built-in
extensions first, then the ``markdown_extensions`` of ``mkdocs.yml`` with their options.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import markdown

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = "pymdownx.snippets"


@functools.cache
def markdown_settings() -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """(extension names, their options) exactly as ``mkdocs build`` passes them on.

    ``pymdownx.snippets``' ``base_path`` is made absolute (mkdocs resolves it against
    the folder it runs in, the repository root), so the harness may run anywhere.
    """
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    options = {name: dict(value) for name, value in config["mdx_configs"].items()}
    if SNIPPETS in options:
        paths = options[SNIPPETS].get("base_path", ["."])
        paths = [paths] if isinstance(paths, str) else paths
        options[SNIPPETS]["base_path"] = [str(ROOT / path) for path in paths]
    return tuple(config["markdown_extensions"]), options


def site_markdown() -> markdown.Markdown:
    """A Markdown converter configured as the site's."""
    extensions, options = markdown_settings()
    return markdown.Markdown(extensions=list(extensions), extension_configs=options)


@functools.cache
def _snippet_preprocessor():
    _, options = markdown_settings()
    converter = markdown.Markdown(
        extensions=[SNIPPETS], extension_configs={SNIPPETS: options.get(SNIPPETS, {})}
    )
    return converter.preprocessors["snippet"]


def expand_snippets(text: str) -> str:
    """``text`` with every ``--8<--`` include replaced by what the site shows there.

    pymdownx's own preprocessor does it, with the site's options (``check_paths``: a
    missing file or section raises ``SnippetMissingError``).
    """
    return "\n".join(_snippet_preprocessor().run(text.split("\n")))
