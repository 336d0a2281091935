"""Find the fenced blocks of a page exactly as the site's renderer does.

One rule for what a fence is: pymdownx.superfences' own, run with the site's Markdown
settings (:mod:`tests.docs.site_config`). superfences accepts an info string only if
its highlighter knows every option in it (``title``, ``hl_lines``, ``linenums``…);
anything else, e.g. ```` ```output source="x" ````, is printed as text, and its closing
```` ``` ```` then opens a block that swallows the following headings. Sybil's stock
lexer and a home-made regex both accepted such a fence, so the harness ran a block
that readers never saw. Here a line that opens a fence the renderer does not accept is
a :class:`Rejected` fence, reported at its page line (``tests/docs/test_lexers.py``
checks this rule against a real render, both ways).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from sybil import Document, Region

from tests.docs.site_config import expand_snippets, site_markdown

# A block that must not run: `<!-- not-tested: why -->` on the line right above its fence.
NOT_TESTED = re.compile(r"<!--\s*not-tested:(?P<reason>[^>]*?)-->[ \t]*\n[ \t]*\Z")
INCLUDE = re.compile(r"""^\s*-+8<-+\s+["'](?P<target>[^"']+)["']\s*$""")
# `--8<-- "x"` after `ruff format` treated it as Python: `--8 < --"x"`.
MANGLED_INCLUDE = re.compile(r"""^\s*-+8\s+<\s+-+\s*["']""")
# Any line that looks like it opens or closes a fence, accepted or not.
FENCE_LIKE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")


@dataclass
class Fence:
    """One fenced block of a page, as the renderer turns it into a code block."""

    region: Region
    line: int
    language: str
    attributes: dict[str, str]
    source: str
    skip_reason: str | None = None
    includes: list[str] = field(default_factory=list)
    end_line: int = 0

    @property
    def is_include(self) -> bool:
        """Only ``--8<-- "file[:section]"`` lines (and blank lines) in the block."""
        return bool(self.includes)

    @functools.cached_property
    def expanded(self) -> str:
        """The block's text on the site: its source with snippet includes expanded."""
        return expand_snippets(self.source)

    @property
    def mangled_include(self) -> bool:
        """An include that ``ruff format`` rewrote into Python (``--8 < --"x"``)."""
        return any(MANGLED_INCLUDE.match(line) for line in self.source.splitlines())


@dataclass(frozen=True)
class Rejected:
    """A line that opens a fence the renderer does not accept (it shows it as text)."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class _Block:
    start: int  # index of the opening line
    end: int  # index after the closing line
    language: str
    attributes: tuple[tuple[str, str], ...]  # the header's options, in order
    source: str


@functools.cache
def _converter():
    return site_markdown()


# One Markdown instance, reset per page: one page at a time (the copy presses and the
# install venvs run on other threads).
_CONVERTING = threading.Lock()


def _blocks(text: str) -> list[_Block]:
    """The code blocks superfences makes of ``text``, with their line ranges."""
    md = _converter()
    md.reset()  # the caller holds _CONVERTING
    fences = md.preprocessors["fenced_code_block"]
    found: list[_Block] = []
    header: dict[str, str] = {}
    process, store = type(fences).process_nested_block, type(fences)._store

    def parse(ws, content, start, end):
        # The header as parsed, before the highlighter consumes its options.
        header.clear()
        header.update({**fences.attrs, **fences.options})
        if fences.classes:
            header["class"] = " ".join(fences.classes)
        process(fences, ws, content, start, end)

    def record(source, code, start, end):
        # Called for every fence superfences turns into a code block.
        block = fences.rebuild_block(fences.code)
        found.append(_Block(start, end, fences.lang or "", tuple(header.items()), block))
        store(fences, source, code, start, end)

    fences.process_nested_block, fences._store = parse, record
    try:
        lines = md.preprocessors["normalize_whitespace"].run(text.split("\n"))
        fences.run(lines)
    finally:
        del fences.process_nested_block, fences._store
    return found


_OPTION = re.compile(r"""([a-zA-Z][\w-]*)(?:=("[^"]*"|'[^']*'|\S+))?""")
RENDERER_OPTIONS = ("title", "hl_lines", "linenums", "title_mode")


def _why_rejected(line: str) -> str:
    info = FENCE_LIKE.sub("", line, count=1).strip()
    language, _, options = info.partition(" ")
    unknown = [
        f"{name}=…" if value else name
        for name, value in _OPTION.findall(options)
        if name not in RENDERER_OPTIONS and not name.startswith("data-")
    ]
    if unknown:
        return (
            f"pymdownx.superfences does not accept {', '.join(unknown)} after ```{language} "
            f"(it knows {', '.join(RENDERER_OPTIONS)}): the site prints this fence as text, "
            "and its closing ``` opens a code block that swallows what follows"
        )
    return (
        "pymdownx.superfences does not turn this line into a code block (a fence opener "
        "it rejects, or a stray closing fence): the site prints it as text"
    )


@functools.lru_cache(maxsize=256)
def scan(text: str) -> tuple[tuple[_Block, ...], tuple[Rejected, ...]]:
    """The page's code blocks and the fence-like lines that are not part of one.

    Kept per text: the plugin, the guards, the site checks and the install venvs each
    ask for a page's fences, and one render with highlighting costs a large share of a
    second on a long page.
    """
    with _CONVERTING:
        blocks = _blocks(text)
    covered = {index for block in blocks for index in range(block.start, block.end)}
    rejected = tuple(
        Rejected(index + 1, line, _why_rejected(line))
        for index, line in enumerate(text.split("\n"))
        if index not in covered and FENCE_LIKE.match(line)
    )
    return tuple(blocks), rejected


def _line_offsets(text: str) -> list[int]:
    offsets, position = [], 0
    for line in text.split("\n"):
        offsets.append(position)
        position += len(line) + 1
    offsets.append(len(text))
    return offsets


def fences(document: Document) -> Iterator[Fence]:
    """Every code block of the page, in order, as the site renders them."""
    yield from fences_and_rejected(document)[0]


def fences_and_rejected(document: Document) -> tuple[list[Fence], list[tuple[Region, Rejected]]]:
    text = document.text
    blocks, rejected = scan(text)
    offsets = _line_offsets(text)
    found = []
    for block in blocks:
        start = offsets[block.start]
        end = min(offsets[block.end], len(text))
        marker = NOT_TESTED.search(text[max(0, start - 500) : start])
        lines = [line for line in block.source.splitlines() if line.strip()]
        includes = [m.group("target") for m in map(INCLUDE.match, lines) if m]
        found.append(
            Fence(
                region=Region(start, end),
                line=block.start + 1,
                language=block.language.lower(),
                attributes=dict(block.attributes),
                source=block.source + "\n" if block.source else "",
                skip_reason=marker.group("reason").strip() if marker else None,
                includes=includes if lines and len(includes) == len(lines) else [],
                end_line=block.end,
            )
        )
    regions = [
        (Region(offsets[r.line - 1], offsets[r.line - 1] + len(r.text)), r) for r in rejected
    ]
    return found, regions
