"""A built page as the reader gets it: its code blocks and its text, from the HTML.

Parsed with the standard library's ``html.parser`` from the ``<article>`` that Material
puts a page's content in. A block inside mkdocstrings' output (``div.doc``) remembers
the object it documents, so problems in generated reference text can be traced to a
docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class RenderedBlock:
    """One code block of the built page."""

    text: str
    language: str
    classes: frozenset[str]
    copy: str | None  # the data-copy attribute (docs/hooks/copy_buttons.py), if any
    title: str | None
    documented_object: str | None  # inside mkdocstrings output: the object's id

    @property
    def has_copy_button(self) -> bool:
        return "no-copy" not in self.classes


@dataclass
class RenderedText:
    """A run of the page's text outside code blocks (inline code kept in backticks)."""

    text: str
    documented_object: str | None


@dataclass
class RenderedPage:
    blocks: list[RenderedBlock] = field(default_factory=list)
    texts: list[RenderedText] = field(default_factory=list)

    def page_blocks(self) -> list[RenderedBlock]:
        """The blocks written in the page's Markdown (not generated from docstrings)."""
        return [block for block in self.blocks if block.documented_object is None]


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = RenderedPage()
        self.stack: list[tuple[str, set[str]]] = []
        self.article_depth: int | None = None
        self.block: dict | None = None  # the div.highlight being read
        self.block_depth = 0
        self.in_code = False
        self.in_title = False
        self.skip_depth: int | None = None  # headerlink anchors: not page text
        self.doc_depths: list[int] = []
        self.documented: str | None = None
        self.text: list[str] = []

    def _flush_text(self) -> None:
        if self.text:
            self.page.texts.append(RenderedText("".join(self.text), self.documented))
            self.text = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag == "article" and "md-content__inner" in classes and self.article_depth is None:
            self.article_depth = len(self.stack)
        if tag in VOID:
            return
        self.stack.append((tag, classes))
        if self.article_depth is None:
            return
        depth = len(self.stack)
        if tag == "div" and "doc" in classes and "doc-object" in classes:
            self.doc_depths.append(depth)
        element_id = attributes.get("id") or ""
        if self.doc_depths and element_id.startswith("hokusai"):
            self.documented = element_id
        if tag == "a" and "headerlink" in classes and self.skip_depth is None:
            self.skip_depth = depth
        if tag == "div" and "highlight" in classes and self.block is None:
            self._flush_text()
            language = next((c[9:] for c in classes if c.startswith("language-")), "")
            self.block = {
                "text": [],
                "language": language,
                "classes": frozenset(classes),
                "copy": attributes.get("data-copy"),
                "title": None,
            }
            self.block_depth = depth
        elif self.block is not None and tag == "span" and "filename" in classes:
            self.in_title, self.block["title"] = True, ""
        elif self.block is not None and tag == "code":
            self.in_code = True
        elif self.block is None and tag == "code":
            self.text.append("`")
        elif tag in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "div", "tr"):
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.stack:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            depth = len(self.stack) + 1
            self._close(open_tag, depth)
            if open_tag == tag:
                break

    def _close(self, tag: str, depth: int) -> None:
        if self.article_depth is None:
            return
        if self.skip_depth == depth:
            self.skip_depth = None
        if self.block is not None:
            if tag == "span" and self.in_title:
                self.in_title = False
            elif tag == "code":
                self.in_code = False
            if depth == self.block_depth:
                block, self.block = self.block, None
                self.page.blocks.append(
                    RenderedBlock(
                        "".join(block.pop("text")), documented_object=self.documented, **block
                    )
                )
        elif tag == "code":
            self.text.append("`")
        if self.doc_depths and depth == self.doc_depths[-1]:
            self.doc_depths.pop()
            if not self.doc_depths:
                self.documented = None
        if depth == self.article_depth + 1 and tag == "article":
            self._flush_text()
            self.article_depth = None

    def handle_data(self, data: str) -> None:
        if self.article_depth is None or self.skip_depth is not None:
            return
        if self.block is not None:
            if self.in_title:
                self.block["title"] += data
            elif self.in_code:
                self.block["text"].append(data)
        elif self.stack and self.stack[-1][0] == "code":
            self.text.append("…")  # inline code may quote anything (```python, --8<--)
        else:
            self.text.append(data)


def parse_page(html: str) -> RenderedPage:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    parser._flush_text()
    return parser.page


def built_page(site: Path, page: str) -> Path:
    """The HTML file mkdocs writes for ``page`` (a path below ``docs/``)."""
    stem = page.removesuffix(".md")
    if stem == "index":
        return site / "index.html"
    if stem.endswith("/index"):
        return site / stem.removesuffix("index") / "index.html"
    return site / stem / "index.html"


# What must never reach a reader's page.
TEXT_PROBLEMS = [
    (re.compile(r"^(<{7} |>{7} |={7}$)", re.M), "a merge-conflict marker"),
    (
        re.compile(r":(?:py:)?(?:meth|class|func|mod|attr|exc|data|obj|const|ref|doc|term):`"),
        "a literal reST role (write `name` or a Markdown link)",
    ),
    (re.compile(r"\bExamples?::"), "a literal reST `Example::` heading (write `Examples:`)"),
    (re.compile(r"-+8\s*<\s*-+"), "an unexpanded snippet marker"),
    (re.compile(r"```|~~~"), "a raw fence: Markdown that leaked out of a code block"),
]
# What must never be inside a code block.
BLOCK_PROBLEMS = [
    (re.compile(r"^[ \t]*(`{3,}|~{3,})", re.M), "a fence line: Markdown leaked into the block"),
    (re.compile(r"^#{2,6} \S", re.M), "a Markdown heading: Markdown leaked into the block"),
    (re.compile(r"^(<{7} |>{7} |={7}$)", re.M), "a merge-conflict marker"),
    (re.compile(r"-+8\s*<\s*-+"), "an unexpanded snippet marker"),
]


def problems(text: str, rules) -> list[tuple[str, str]]:
    """(what, the offending line) for every rule that matches ``text``."""
    found = []
    for pattern, what in rules:
        for match in pattern.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            found.append((what, text[start : end if end != -1 else None].strip()))
    return found
