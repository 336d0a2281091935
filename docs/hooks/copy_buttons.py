"""mkdocs hook: a code block's copy button copies what the doc tests ran, nothing else.

Material's copy button copies the block's visible text, unless the block (or an
ancestor) has a ``data-copy`` attribute, which it copies instead; a block inside a
``no-copy`` element gets no button (Material 9's ``extract()`` and ``mountCodeBlock``).
Pygments' prompt and output spans of a ``console`` block are visible text, so without
this hook a reader would paste ``$ curl …`` and its output into a shell. So:

* ``console`` blocks copy their commands only: no ``$ ``, no output, a command
  continued with ``\\`` whole (the harness's own rule, ``tests/docs/console.py``);
* ``pycon`` blocks (the ``>>>`` examples of the API reference) copy their Python only;
* ``output`` blocks get no copy button: output is read, not pasted.

``tests/docs/test_site.py`` presses every copy button of the built site in Chromium
and compares what lands on the clipboard with what the doc tests executed.
"""

from __future__ import annotations

import doctest
import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
try:  # standard library only: the site build needs no test dependencies
    from tests.docs.console import copy_text
finally:
    sys.path.remove(str(ROOT))

# A code block as pymdownx.highlight writes it (pygments_lang_class: true in mkdocs.yml).
BLOCK = re.compile(
    r'<div class="language-(?P<language>[\w+-]+) highlight"(?P<rest>>.*?<code>(?P<code>.*?)</code>)',
    re.S,
)
TAG = re.compile(r"<[^>]+>")


def code_text(code_html: str) -> str:
    """The text of a highlighted ``<code>`` element (tags dropped, entities decoded)."""
    return html.unescape(TAG.sub("", code_html))


def doctest_source(text: str) -> str:
    """The Python of a ``>>>`` example, without prompts and without expected output."""
    examples = doctest.DocTestParser().get_examples(text)
    return "".join(example.source for example in examples)


def _mark(match: re.Match) -> str:
    language, rest = match["language"], match["rest"]
    if language == "output":
        return f'<div class="language-output highlight no-copy"{rest}'
    if language == "console":
        copy = copy_text(code_text(match["code"]))
    elif language == "pycon":
        copy = doctest_source(code_text(match["code"]))
    else:
        return match.group(0)
    return f'<div class="language-{language} highlight" data-copy="{html.escape(copy)}"{rest}'


def on_page_content(html_text: str, page, config, files) -> str:
    return BLOCK.sub(_mark, html_text)
