"""One rule for what a fence is: the harness's lexer agrees with the site's renderer.

Each fence header is rendered by Markdown with the site's own settings (mkdocs.yml)
and lexed by the harness: a fence the renderer turns into a code block is a fence for
the harness, with the same text, and one it prints as text is a rejected fence, which
fails the page at its line.
"""

from __future__ import annotations

import textwrap

import pytest
from sybil import Document

from tests.docs.evaluators import WORKDIR, DocBlockError
from tests.docs.lexers import fences_and_rejected
from tests.docs.plugin import page_blocks
from tests.docs.rendered import parse_page
from tests.docs.site_config import site_markdown

HEADERS = [
    "```python",
    "```py",
    '```python title="register.py"',
    '```python hl_lines="2"',
    '```python linenums="1"',
    "```console",
    "~~~bash",
    "````python",
    "```{.python .no-copy}",
    '```output source="hokusai local up"',
    "```python foo",
    '```bash title="a.sh" extra="b"',
    '```python hl_lines="two"',
    "```python {.x}",
]


def _page(header: str) -> str:
    closer = header[: len(header) - len(header.lstrip("`~"))]
    return f"# Page\n\nBefore.\n\n{header}\nprint('line one')\n{closer}\n\nAfter.\n"


def _rendered_blocks(text: str) -> list[str]:
    html = site_markdown().convert(text)
    page = parse_page(f'<article class="md-content__inner">{html}</article>')
    return [block.text.strip("\n") for block in page.blocks]


@pytest.mark.parametrize("header", HEADERS)
def test_the_lexer_accepts_exactly_the_fences_the_renderer_renders(header: str):
    text = _page(header)
    found, rejected = fences_and_rejected(Document(text, "page.md"))
    rendered = _rendered_blocks(text)
    renders = rendered == ["print('line one')"]
    assert renders or rendered == [], rendered  # a block with the fence's text, or none
    if renders:
        assert [fence.source for fence in found] == ["print('line one')\n"]
        assert [fence.line for fence in found] == [5]
        assert not rejected
    else:
        # Line 5 is printed as text; so is its closer, which opens a fence never closed.
        assert [r.line for _, r in rejected] == [5, 7], "fences the site prints as text"
        assert all(fence.line != 5 for fence in found)


def test_both_kinds_are_covered():
    verdicts = {bool(_rendered_blocks(_page(header))) for header in HEADERS}
    assert verdicts == {True, False}


def test_a_rejected_fence_fails_the_page_at_its_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        textwrap.dedent(
            """\
            # Start

            ```output source="hokusai local up"
            Ready.
            ```
            """
        )
    )
    document = Document.parse(str(page), page_blocks)
    document.namespace[WORKDIR] = str(tmp_path)
    with pytest.raises(DocBlockError, match=r"page\.md:3: ```output source=.*does not accept"):
        for example in document.examples():
            example.evaluate()


def test_an_indented_fence_in_a_tab_is_found_dedented():
    text = '=== "Tab"\n\n    ```python\n    x = 1\n    ```\n'
    found, rejected = fences_and_rejected(Document(text, "page.md"))
    assert [(fence.line, fence.source) for fence in found] == [(3, "x = 1\n")]
    assert _rendered_blocks(text) == ["x = 1"]
    assert not rejected
