"""Rendered equals executed: a built page against the fences the harness classified.

For every page, the code blocks of the built HTML must be, one for one and in order,
the page's fences (executed or marked not tested), with the same text after snippet
expansion; no Markdown may leak into a block or out of one; no conflict marker, reST
role or snippet marker may reach the reader. Blocks the reference generates from
docstrings must be ``>>>`` examples, i.e. doctests that ``--doctest-modules`` runs.
Every problem names the page and the line of its source.
"""

from __future__ import annotations

import difflib
import doctest
import re
from dataclasses import dataclass
from pathlib import Path

from sybil import Document

from tests.docs.console import copy_text
from tests.docs.lexers import Fence, fences_and_rejected
from tests.docs.prose import resolve
from tests.docs.rendered import (
    BLOCK_PROBLEMS,
    TEXT_PROBLEMS,
    RenderedBlock,
    RenderedPage,
    parse_page,
    problems,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DIRECTIVE = re.compile(r"^:::\s*(?P<name>[\w.]+)", re.M)
PROMPT = re.compile(r"^(\$|>>>|\.\.\.) \S")  # a shell or Python prompt


@dataclass
class PageSource:
    """A page's Markdown and the fences the harness found in it."""

    path: Path
    text: str
    fences: list[Fence]

    @classmethod
    def read(cls, path: Path) -> PageSource:
        text = path.read_text()
        found, _ = fences_and_rejected(Document(text, str(path)))
        return cls(path, text, found)

    @property
    def name(self) -> str:
        return str(self.path.relative_to(ROOT))

    def line_of(self, snippet: str, default: int = 1) -> int:
        """The first source line containing ``snippet`` (or a long enough part of it)."""
        probes = [snippet, snippet[:60], snippet.strip("`")[:40]]
        for probe in filter(None, probes):
            for number, line in enumerate(self.text.splitlines(), 1):
                if probe in line:
                    return number
        return default

    def line_of_object(self, object_id: str) -> int:
        """The line of the ``::: name`` directive that documents ``object_id``."""
        best, line = "", 1
        for match in DIRECTIVE.finditer(self.text):
            name = match["name"]
            if (object_id == name or object_id.startswith(name + ".")) and len(name) > len(best):
                best, line = name, self.text.count("\n", 0, match.start()) + 1
        return line


def _shown(text: str) -> str:
    return text.strip("\n")  # pymdownx.highlight strips a block's edge newlines


def expected_copy(fence: Fence) -> str | None:
    """What a fence's copy button must put on the clipboard (``None``: no button).

    Material trims the end of what it copies; console blocks copy their commands.
    """
    if fence.language == "output":
        return None
    if fence.language == "console":
        return copy_text(fence.expanded)
    return fence.expanded.rstrip()


def match_blocks(source: PageSource, page: RenderedPage) -> tuple[list, list[str]]:
    """((fence, block) pairs, problems): the page's fences against its rendered blocks."""
    blocks = page.page_blocks()
    expected = [_shown(fence.expanded) for fence in source.fences]
    shown = [_shown(block.text) for block in blocks]
    pairs, found = [], []
    matcher = difflib.SequenceMatcher(a=expected, b=shown, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += zip(source.fences[i1:i2], blocks[j1:j2], strict=True)
            continue
        for offset, fence in enumerate(source.fences[i1:i2]):
            block = blocks[j1 + offset] if j1 + offset < j2 else None
            if block is None:
                found.append(
                    f"{source.name}:{fence.line}: the site shows no code block for this "
                    f"```{fence.language} fence"
                )
                continue
            diff = "\n".join(
                difflib.unified_diff(
                    _shown(fence.expanded).splitlines(),
                    _shown(block.text).splitlines(),
                    "executed by the harness",
                    "shown on the site",
                    lineterm="",
                )
            )
            found.append(f"{source.name}:{fence.line}: the site shows another text:\n{diff}")
        for block in blocks[j1 + (i2 - i1) : j2]:
            first = _shown(block.text).splitlines()[0] if _shown(block.text) else ""
            line = source.line_of(first, default=source.fences[i1 - 1].line if i1 else 1)
            found.append(
                f"{source.name}:{line}: the site shows a code block that no fence of the page "
                f"produced, so nothing executed it: {first[:80]!r}"
            )
    return pairs, found


DOCTEST_FLAGS = re.compile(r"[ \t]*#\s*doctest:[^\n]*")  # the reference hides them


def _doctest_sources(object_id: str) -> set[str]:
    target = resolve(object_id)
    tests = doctest.DocTestFinder(recurse=False).find(target, name=object_id)
    sources = ("".join(e.source for e in test.examples) for test in tests if test.examples)
    return {DOCTEST_FLAGS.sub("", source) for source in sources}


def docstring_block_problems(source: PageSource, page: RenderedPage) -> list[str]:
    """Blocks rendered from docstrings must be doctests of the object they document."""
    found = []
    for block in page.blocks:
        if block.documented_object is None:
            continue
        where = f"{source.name}:{source.line_of_object(block.documented_object)}"
        examples = doctest.DocTestParser().get_examples(block.text)
        if block.language != "pycon" or not examples:
            found.append(
                f"{where}: the docstring of {block.documented_object} shows a code block that "
                f"is not a `>>>` example, so no test runs it: {_shown(block.text)[:80]!r}"
            )
            continue
        code = DOCTEST_FLAGS.sub("", "".join(example.source for example in examples))
        if not any(code in sources for sources in _doctest_sources(block.documented_object)):
            found.append(
                f"{where}: the `>>>` example shown for {block.documented_object} is not one "
                "that --doctest-modules collects from its docstring"
            )
    return found


def text_problems(source: PageSource, page: RenderedPage) -> list[str]:
    found = []
    for run in page.texts:
        for what, line in problems(run.text, TEXT_PROBLEMS):
            if run.documented_object:
                number = source.line_of_object(run.documented_object)
                where = f"{source.name}:{number} (docstring of {run.documented_object})"
            else:
                where = f"{source.name}:{source.line_of(line)}"
            found.append(f"{where}: {what}: {line[:120]!r}")
    return found


def block_problems(pairs: list[tuple[Fence, RenderedBlock]], source: PageSource) -> list[str]:
    found = []
    for fence, block in pairs:
        for what, line in problems(block.text, BLOCK_PROBLEMS):
            found.append(f"{source.name}:{fence.line}: {what}: {line[:120]!r}")
        wanted = expected_copy(fence)
        prompts = [line for line in (wanted or "").splitlines() if PROMPT.match(line)]
        if prompts and fence.language not in ("console", "pycon"):
            found.append(
                f"{source.name}:{fence.line}: the copy button would copy a prompt "
                f"({prompts[0]!r}): write the command without it, or use a console block"
            )
        if wanted is None and block.has_copy_button:
            found.append(f"{source.name}:{fence.line}: an output block with a copy button")
        if fence.language == "console" and block.copy != wanted:
            found.append(
                f"{source.name}:{fence.line}: the copy button would copy {block.copy!r}, "
                f"not the commands the harness ran {wanted!r}"
            )
    return found


def check_page(
    path: Path, html: str
) -> tuple[RenderedPage, list[tuple[Fence, RenderedBlock]], list[str]]:
    """(the parsed page, matched fence/block pairs, every problem) of one built page."""
    source = PageSource.read(path)
    page = parse_page(html)
    pairs, found = match_blocks(source, page)
    found += block_problems(pairs, source)
    found += text_problems(source, page)
    found += docstring_block_problems(source, page)
    return page, pairs, found
