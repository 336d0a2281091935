"""Every Python block a reader can copy is ruff-clean (blocks found by pytest-examples),
snippets too.

Blocks of one page share a namespace, so names defined by an earlier block
(F821) are allowed; everything else of the project's ruff rules applies. One ruff
run checks every block (a run per block cost seconds); each block's test reports
its own findings at the page's lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from pytest_examples import CodeExample, find_examples

from tests.docs.lexers import INCLUDE

ROOT = Path(__file__).resolve().parents[2]


def _is_include(example: CodeExample) -> bool:
    lines = [line for line in example.source.splitlines() if line.strip()]
    return bool(lines) and all(INCLUDE.match(line) for line in lines)


BLOCKS = [example for example in find_examples(str(ROOT / "docs")) if not _is_include(example)]


# Besides pyproject.toml's rules. The blocks sort `hokusai` as this repository's own
# package, which ruff cannot tell from files outside it.
BLOCK_RULES = (
    "--target-version=py310",
    "--ignore=E501,F821",
    "--config=lint.isort.known-first-party=['hokusai']",
)


@pytest.fixture(scope="module")
def ruff_findings(tmp_path_factory) -> dict[int, list[str]]:
    """Each block's findings (``file:line:column: code message``, at the page's lines),
    by the block's number in BLOCKS (its file is ``<number>.py``)."""
    folder = tmp_path_factory.mktemp("blocks")
    for number, example in enumerate(BLOCKS):
        (folder / f"{number}.py").write_text(example.source)
    ruff = [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml")]
    result = subprocess.run(
        [*ruff, *BLOCK_RULES, "--no-cache", "--output-format=json", "."],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), f"ruff failed to run:\n{result.stderr}"
    findings = defaultdict(list)
    for finding in json.loads(result.stdout):
        number = int(Path(finding["filename"]).stem)
        example = BLOCKS[number]
        row, column = finding["location"]["row"], finding["location"]["column"]
        findings[number].append(
            f"{example.path}:{row + example.start_line}:{column}: "
            f"{finding['code']} {finding['message']}"
        )
    return findings


@pytest.mark.parametrize("number", range(len(BLOCKS)), ids=[str(block) for block in BLOCKS])
def test_block_is_ruff_clean(ruff_findings: dict[int, list[str]], number: int):
    assert not ruff_findings[number], "ruff:\n" + "\n".join(ruff_findings[number])


def test_snippets_are_ruff_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "snippets", "docs/hooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
