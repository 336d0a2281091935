"""Names and defaults in the pages' prose resolve against the code (tests/docs/prose.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sybil import Document

from tests.docs.blocks import Kind, classify
from tests.docs.lexers import fences
from tests.docs.prose import Names, port_problems, span_problem, spans

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.relative_to(DOCS).parts)


@pytest.fixture(scope="module")
def names() -> Names:
    return Names()


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_names_and_defaults_in_prose_resolve(names: Names, page: Path):
    text = page.read_text()
    found = list(fences(Document(text, str(page))))
    in_fences = {n for f in found for n in range(f.line - 1, f.end_line)}
    executed = {
        n
        for f in found
        if classify(f) is not Kind.NOT_TESTED
        for n in range(f.line - 1, f.end_line)
    }
    problems = []
    for span in spans(text, in_fences):
        problem = span_problem(names, span.text)
        if problem:
            problems.append(f"{page.relative_to(ROOT)}:{span.line}: `{span.text}`: {problem}")
    # Ports in prose and in blocks nothing executes (an executed block's output is
    # checked against what really printed).
    lines = text.split("\n")
    unexecuted = "\n".join("" if i in executed else line for i, line in enumerate(lines))
    for line, problem in port_problems(unexecuted):
        problems.append(f"{page.relative_to(ROOT)}:{line}: {problem}")
    assert not problems, "prose that does not match the code of this commit:\n" + "\n".join(
        problems
    )
