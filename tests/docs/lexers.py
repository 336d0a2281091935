"""Find every fenced block in a Markdown page, Material attributes included.

Sybil's stock Markdown parser keeps a block only when its info string is exactly
``python``; it silently drops ```` ```python title="x.py" ````, ``hl_lines`` and ``py``
(docs/contributing/mlflow-facts.md). This lexer accepts any info string and splits it into a language
and attributes, so nothing is dropped without the guard test noticing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from sybil import Document, Region
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

INFO = re.compile(
    r"[ \t]*\{?\.?(?P<language>[\w.+-]*)[ \t]*(?P<attributes>[^\n]*?)\}?[ \t]*$\n", re.M
)
ATTRIBUTE = re.compile(r"""([\w:-]+)(?:=("[^"]*"|'[^']*'|\S+))?""")
# A block that must not run: `<!-- not-tested: why -->` on the line right above its fence.
NOT_TESTED = re.compile(r"<!--\s*not-tested:(?P<reason>[^>]*?)-->[ \t]*\n[ \t]*\Z")
INCLUDE = re.compile(r"""^\s*-+8<-+\s+["'](?P<target>[^"']+)["']\s*$""")

_lexer = RawFencedCodeBlockLexer(info_pattern=INFO)


@dataclass
class Fence:
    """One fenced block of a page."""

    region: Region
    line: int
    language: str
    attributes: dict[str, str]
    source: str
    skip_reason: str | None = None
    includes: list[str] = field(default_factory=list)

    @property
    def is_include(self) -> bool:
        """Only ``--8<-- "file[:section]"`` lines (and blank lines) in the block."""
        return bool(self.includes)


def parse_attributes(text: str) -> dict[str, str]:
    return {name: value.strip("\"'") for name, value in ATTRIBUTE.findall(text)}


def fences(document: Document) -> Iterator[Fence]:
    for region in _lexer(document):
        source = str(region.lexemes["source"])
        before = document.text[: region.start]
        marker = NOT_TESTED.search(before[-500:])
        lines = [line for line in source.splitlines() if line.strip()]
        includes = [m.group("target") for m in map(INCLUDE.match, lines) if m]
        yield Fence(
            region=region,
            line=before.count("\n") + 1,
            language=region.lexemes["language"].lower(),
            attributes=parse_attributes(region.lexemes["attributes"]),
            source=source,
            skip_reason=marker.group("reason").strip() if marker else None,
            includes=includes if lines and len(includes) == len(lines) else [],
        )
