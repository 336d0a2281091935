"""The reference: one docstring style (Google, Markdown), every public name documented."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REST = re.compile(
    r":(?:py:)?(?:meth|class|func|mod|attr|exc|data|obj|const):`"
    r"|\bExamples?::|^\s*\.\. [\w-]+::",
    re.M,
)


def _docstrings(tree: ast.Module):
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value


def test_docstrings_are_google_style_with_markdown_not_rest():
    """reST roles and `Example::` blocks show as literal text on the reference pages
    (and an `Example::` block is not a doctest: nothing runs it)."""
    found = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for docstring in _docstrings(ast.parse(path.read_text())):
            for match in REST.finditer(docstring.value):
                line = docstring.lineno + docstring.value.count("\n", 0, match.start())
                found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0).strip()}")
    assert not found, (
        "reST in docstrings (write `name` for roles, `Examples:` with >>> lines):\n"
        + "\n".join(found)
    )


@functools.cache
def _coverage():
    spec = importlib.util.spec_from_file_location(
        "api_coverage", ROOT / "docs" / "hooks" / "api_coverage.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_undocumented_public_field_is_reported_at_its_directive():
    coverage = _coverage()
    page = "# API\n\n::: hokusai.core.results.TokenizedModel\n"
    anchors = [a for a in coverage.public_api() if a != "hokusai.core.results.TokenizedModel.name"]
    html = "".join(f'<h3 id="{anchor}">' for anchor in anchors)
    assert coverage.missing(html, page) == [
        "docs/reference/api.md:3: hokusai.core.results.TokenizedModel.name "
        f"({coverage.public_api()['hokusai.core.results.TokenizedModel.name']}) is public but "
        "not shown: give it a docstring"
    ]


def test_every_public_class_member_is_counted():
    public = _coverage().public_api()
    fields = {"name", "version", "token_id", "metric_name", "baseline_value", "model_uri"}
    assert {f"hokusai.core.results.TokenizedModel.{f}" for f in fields} <= set(public)
