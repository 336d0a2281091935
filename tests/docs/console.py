"""What a ``console`` block is: ``$ `` commands, each followed by its output.

One definition for the harness, which runs the commands and compares each output, and
for the site's copy buttons (``docs/hooks/copy_buttons.py``), which copy the commands only: no
``$ `` prompt, no output, and a command continued with ``\\`` copied whole. So what a
reader pastes into a terminal is exactly what the doc tests ran. Standard library only:
the site build imports it too.
"""

from __future__ import annotations

PROMPT = "$ "


def parse_console(source: str) -> list[tuple[str, str]]:
    """``$ cmd`` lines (with ``\\`` continuations) and the output shown under each.

    Examples:
        >>> parse_console("$ echo a \\\\\\n    b\\na b\\n$ true\\n")
        [('echo a \\\\\\n    b', 'a b'), ('true', '')]
    """
    session: list[tuple[str, list[str]]] = []
    continuing = False
    for line in source.splitlines():
        if continuing:
            command, output = session[-1]
            session[-1] = (f"{command}\n{line}", output)
            continuing = line.endswith("\\")
        elif line.startswith(PROMPT):
            session.append((line[len(PROMPT) :], []))
            continuing = line.endswith("\\")
        elif session:
            session[-1][1].append(line)
    return [(command, "\n".join(output)) for command, output in session]


def copy_text(source: str) -> str:
    """The text a console block's copy button copies: its commands, one per line.

    Examples:
        >>> print(copy_text("$ hokusai --version\\nhokusai, version 0.1.0\\n$ ls\\n"))
        hokusai --version
        ls
    """
    return "\n".join(command for command, _ in parse_console(source))
