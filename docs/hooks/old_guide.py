"""The Migrating page's table of the old guide's call shapes (``<!-- generated: old-guide -->``).

Rendered from ``tests/old_guide/shapes.py``: the same list ``tests/old_guide/
test_shapes.py`` executes on every run, asserting each shape's result exactly, so the
page shows what the tests verified.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

SHAPES_FILE = Path(__file__).resolve().parents[2] / "tests" / "old_guide" / "shapes.py"
_CODE_SPAN = re.compile(r"(`[^`]*`)")


def load_shapes() -> tuple:
    """The shapes, loaded from their file (the docs build does not import ``tests``)."""
    spec = importlib.util.spec_from_file_location("_old_guide_shapes", SHAPES_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module.SHAPES


_ENTITIES = {"&": "&amp;", "<": "&lt;", "|": "&#124;", "[": "&#91;", "]": "&#93;"}


def _text(text: str) -> str:
    """Markdown for a table cell: code spans kept; outside them, ``<…>`` and ``[…]``
    escaped (neither an HTML tag nor a reference link)."""
    parts = _CODE_SPAN.split(text)
    escaped = [
        p if p.startswith("`") else p.replace("<", "&lt;").replace("[", "\\[").replace("]", "\\]")
        for p in parts
    ]
    return "".join(escaped).replace("|", "\\|").replace("\n", " ")


def _code(code: str) -> str:
    return "<code>" + "".join(_ENTITIES.get(c, c) for c in code) + "</code>"


def old_guide_table() -> str:
    shapes = load_shapes()
    works = [s for s in shapes if s.result.startswith("works")]
    warned = [s for s in works if "DeprecationWarning" in s.result]
    rows = [
        f"{len(shapes)} call shapes: {len(works)} work ({len(warned)} of them with a "
        f"`DeprecationWarning` giving the new spelling), {len(shapes) - len(works)} fail "
        "with an error that says what to use instead.\n",
        "| Old guide | Old code | What it does now |",
        "|---|---|---|",
    ]
    for shape in shapes:
        rows.append(f"| {_text(shape.where)} | {_code(shape.old)} | {_text(shape.result)} |")
    return "\n".join(rows) + "\n"
