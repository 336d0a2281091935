"""Guards: no block of the docs escapes the harness, no snippet goes unused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sybil import Document

from tests.docs.blocks import RUNNABLE_SNIPPETS, Kind, classify
from tests.docs.lexers import Fence, fences

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def page_fences() -> list[tuple[Path, Fence]]:
    found = []
    for page in pages():
        document = Document(page.read_text(), str(page))
        found.extend((page, fence) for fence in fences(document))
    return found


def location(page: Path, fence: Fence) -> str:
    return f"{page.relative_to(ROOT)}:{fence.line}"


def snippet_config() -> dict:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    for extension in config["markdown_extensions"]:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            return extension["pymdownx.snippets"]
    raise AssertionError("mkdocs.yml does not configure pymdownx.snippets")


def test_every_block_is_executed_or_marked_not_tested():
    unclassified = [
        f"{location(page, fence)}: ```{fence.language} {' '.join(fence.attributes)}```"
        for page, fence in page_fences()
        if classify(fence) is Kind.UNCLASSIFIED
    ]
    assert not unclassified, (
        "blocks the harness neither runs nor compares; make them python/bash/console/output, "
        "an include of a snippet, or put <!-- not-tested: <reason> --> right above them:\n"
        + "\n".join(unclassified)
    )


def test_snippet_config_fails_on_missing_files():
    assert snippet_config().get("check_paths") is True


def test_every_include_resolves_with_the_sites_own_snippet_settings():
    import markdown
    from pymdownx.snippets import SnippetMissingError

    for page in pages():
        md = markdown.Markdown(
            extensions=["pymdownx.snippets"],
            extension_configs={"pymdownx.snippets": snippet_config()},
        )
        try:
            md.preprocessors["snippet"].run(page.read_text().split("\n"))
        except SnippetMissingError as exc:
            pytest.fail(f"{page.relative_to(ROOT)}: {exc}")


def test_every_snippet_and_its_output_is_shown_on_some_page():
    included = {t.split(":")[0] for _, fence in page_fences() for t in fence.includes}
    snippets = [p for p in SNIPPETS.rglob("*") if p.suffix in RUNNABLE_SNIPPETS]
    missing = []
    for snippet in snippets:
        relative = str(snippet.relative_to(ROOT))
        golden = relative.rsplit(".", 1)[0] + ".out"
        missing += [name for name in (relative, golden) if name not in included]
    assert not missing, "snippets (or their .out) no page includes:\n" + "\n".join(sorted(missing))


def test_output_blocks_follow_an_executed_block():
    executed = {Kind.PYTHON, Kind.SHELL, Kind.INSTALL, Kind.CONSOLE, Kind.INCLUDE}
    orphans, previous = [], None
    for page, fence in page_fences():
        kind = classify(fence)
        named = "source" in fence.attributes
        if (
            kind is Kind.OUTPUT
            and not named
            and (previous is None or previous[0] != page or previous[1] not in executed)
        ):
            orphans.append(location(page, fence))
        previous = (page, kind)
    assert not orphans, "output blocks with no executed block right above:\n" + "\n".join(orphans)


def test_not_tested_python_blocks_call_the_real_api():
    from tests.docs.signatures import check_block

    problems = []
    for page, fence in page_fences():
        if classify(fence) is Kind.NOT_TESTED and fence.language in ("python", "py"):
            for problem in check_block(fence.source):  # "line N: …", N counted in the block
                line, _, message = problem.removeprefix("line ").partition(": ")
                problems.append(f"{page.relative_to(ROOT)}:{fence.line + int(line)}: {message}")
    assert not problems, "not-tested blocks that no longer match the SDK:\n" + "\n".join(problems)
