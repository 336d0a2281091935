"""Every Python block a reader can copy is ruff-clean (pytest-examples), snippets too.

Blocks of one page share a namespace, so names defined by an earlier block
(F821) are allowed; everything else of ruff's default rules applies.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

from tests.docs.lexers import INCLUDE

ROOT = Path(__file__).resolve().parents[2]


def _is_include(example: CodeExample) -> bool:
    lines = [line for line in example.source.splitlines() if line.strip()]
    return bool(lines) and all(INCLUDE.match(line) for line in lines)


BLOCKS = [example for example in find_examples(str(ROOT / "docs")) if not _is_include(example)]


@pytest.mark.parametrize("example", BLOCKS, ids=str)
def test_block_is_ruff_clean(example: CodeExample, eval_example: EvalExample):
    eval_example.set_config(line_length=100, ruff_ignore=["F821"], target_version="py310")
    eval_example.lint_ruff(example)


def test_snippets_are_ruff_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "snippets", "docs/hooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
