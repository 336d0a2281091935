"""What each fenced block of a page is: the harness's one classification rule.

Every block is exactly one of:

* ``python`` / ``py`` (any attributes) — executed, one namespace per page;
* ``bash`` / ``sh`` / ``shell`` — executed with ``bash -e -o pipefail``;
* ``console`` — ``$ `` lines executed, the lines under each compared with its output;
* ``output`` — compared with what the block above it printed;
* an include (only ``--8<-- "path[:section]"`` lines) — the snippet file is run whole;
  an included ``.out`` is compared with what its ``.py`` printed;
* opted out with ``<!-- not-tested: reason -->`` right above the fence.

Anything else is *unclassified*, and the guard test fails on it: a fence in no language
of these, an empty not-tested reason, an include of a file that is not a snippet, or
an include that ``ruff format`` rewrote into Python (``--8 < --"x"``).
"""

from __future__ import annotations

from enum import Enum

from tests.docs.lexers import Fence


class Kind(Enum):
    PYTHON = "python"
    SHELL = "shell"
    CONSOLE = "console"
    OUTPUT = "output"
    INCLUDE = "include"
    NOT_TESTED = "not tested"
    UNCLASSIFIED = "unclassified"


LANGUAGES = {
    "python": Kind.PYTHON,
    "py": Kind.PYTHON,
    "python3": Kind.PYTHON,
    "bash": Kind.SHELL,
    "sh": Kind.SHELL,
    "shell": Kind.SHELL,
    "console": Kind.CONSOLE,
    "output": Kind.OUTPUT,
}
# What an included file is, by its extension.
RUNNABLE_SNIPPETS = (".py", ".sh")
INCLUDABLE = (*RUNNABLE_SNIPPETS, ".out")


def classify(fence: Fence) -> Kind:
    if fence.mangled_include:
        return Kind.UNCLASSIFIED
    if fence.skip_reason is not None:
        return Kind.NOT_TESTED if fence.skip_reason else Kind.UNCLASSIFIED
    if fence.is_include:
        files = [target.split(":")[0] for target in fence.includes]
        return Kind.INCLUDE if all(f.endswith(INCLUDABLE) for f in files) else Kind.UNCLASSIFIED
    return LANGUAGES.get(fence.language, Kind.UNCLASSIFIED)
