"""Guards: no block of the docs escapes the harness, no snippet goes unused."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from sybil import Document

from tests.docs.blocks import RUNNABLE_SNIPPETS, Kind, classify
from tests.docs.lexers import INCLUDE, Fence, fences, fences_and_rejected

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
        + (" is an include that ruff format rewrote" if fence.mangled_include else "")
        for page, fence in page_fences()
        if classify(fence) is Kind.UNCLASSIFIED
    ]
    assert not unclassified, (
        "blocks the harness neither runs nor compares; make them python/bash/console/output, "
        "an include of a snippet, or put <!-- not-tested: <reason> --> right above them "
        "(and wrap an include fence in <!-- fmt:off --> / <!-- fmt:on --> so ruff format "
        "leaves it alone):\n" + "\n".join(unclassified)
    )


def test_every_fence_is_one_the_renderer_accepts():
    rejected = []
    for page in pages():
        _, lines = fences_and_rejected(Document(page.read_text(), str(page)))
        rejected += [
            f"{page.relative_to(ROOT)}:{r.line}: {r.text.strip()}: {r.reason}" for _, r in lines
        ]
    assert not rejected, "fences the site prints as text:\n" + "\n".join(rejected)


# Lines git writes into a file with an unresolved merge conflict.
CONFLICT_MARKER = re.compile(r"^(<{7} |>{7} |\|{7} |={7}$)")
CHECKED_FOR_CONFLICTS = ("docs", "snippets", "src", "README.md")


def conflict_markers(paths=CHECKED_FOR_CONFLICTS) -> list[str]:
    """``file:line: text`` of every merge-conflict marker under ``paths``.

    A lone ``=======`` can be a Markdown heading underline: it counts only in a file
    that also has an opening or closing marker.
    """
    found = []
    for name in paths:
        top = ROOT / name
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                lines = path.read_text().splitlines()
            except UnicodeDecodeError:
                continue
            hits = [(n, line) for n, line in enumerate(lines, 1) if CONFLICT_MARKER.match(line)]
            if any(not line.startswith("=") for _, line in hits):
                found += [f"{path.relative_to(ROOT)}:{n}: {line}" for n, line in hits]
    return found


def test_no_merge_conflict_markers():
    found = conflict_markers()
    assert not found, "unresolved merge conflicts (read both sides, keep what is true):\n" + (
        "\n".join(found)
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
    """A snippet is included by some page, and so is its ``.out`` if it has one (a page
    may show a snippet's output in a console block under the command instead)."""
    included = set()
    for _, fence in page_fences():
        included |= {
            m["target"].split(":")[0] for m in map(INCLUDE.match, fence.source.splitlines()) if m
        }
    snippets = [p for p in SNIPPETS.rglob("*") if p.suffix in RUNNABLE_SNIPPETS]
    missing = []
    for snippet in snippets:
        relative = str(snippet.relative_to(ROOT))
        golden = relative.rsplit(".", 1)[0] + ".out"
        shown = [relative, golden] if (ROOT / golden).exists() else [relative]
        missing += [name for name in shown if name not in included]
    assert not missing, "snippets (or their .out) no page includes:\n" + "\n".join(sorted(missing))


def test_output_blocks_follow_an_executed_block():
    executed = {Kind.PYTHON, Kind.SHELL, Kind.CONSOLE, Kind.INCLUDE}
    orphans, previous = [], None
    for page, fence in page_fences():
        kind = classify(fence)
        if kind is Kind.OUTPUT and (
            previous is None or previous[0] != page or previous[1] not in executed
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


def _code(source: str) -> str:
    """The program of ``source``: its AST without a module docstring."""
    body = ast.parse(source).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def test_a_snippet_shown_in_sections_is_shown_whole():
    """A reader copies the sections a page shows, in page order: together they must be
    the program the harness runs (no import or setup hidden outside the sections)."""
    from tests.docs.site_config import expand_snippets

    problems = []
    for page in pages():
        sections: dict[str, list[str]] = {}
        for fence in fences(Document(page.read_text(), str(page))):
            for target in fence.includes:
                path, _, section = target.partition(":")
                if section and path.endswith(".py"):
                    sections.setdefault(path, []).append(target)
        for path, targets in sections.items():
            shown = "\n".join(expand_snippets(f'--8<-- "{target}"') for target in targets)
            if _code(shown) != _code((ROOT / path).read_text()):
                problems.append(
                    f"{page.relative_to(ROOT)}: the sections of {path} it shows "
                    f"({', '.join(t.partition(':')[2] for t in targets)}) are not the whole program"
                )
    assert not problems, "\n".join(problems)


GUIDE_SECTIONS = ("Guides", "Operations", "Architecture decisions")


def guide_pages() -> list[str]:
    """The Quickstart, the concepts and install pages, and every page of the guide sections."""
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    found = ["quickstart.md", "concepts.md", "install.md"]
    for entry in nav:
        for title, value in entry.items():
            if title in GUIDE_SECTIONS:
                found += [page for item in value for page in item.values()]
    return found


def test_every_guide_ends_with_where_to_go_next():
    missing = []
    for page in guide_pages():
        text = (DOCS / page).read_text()
        last = text[text.rfind("\n## ") + 1 :] if "\n## " in text else ""
        if not last.startswith("## Next\n") or "](" not in last:
            missing.append(f"docs/{page}")
    assert not missing, "guides without a last '## Next' section of links:\n" + "\n".join(missing)
