"""The documented filter for volatile values in compared output.

Run ids, logged-model ids, API-key secrets and ids, process ids and timestamps change
on every run; they are replaced by placeholders on *both* sides before the output a
page shows is compared with what actually printed. Nothing else is touched.

Ports are not placeholders: the harness runs its registries on free ports, and only
*those* ports are rewritten, in the actual output, to the port a reader's
``hokusai local up`` serves on (``DEFAULT_PORT``, read from the CLI's own code). A page
showing ``127.0.0.1:5000`` therefore fails when the CLI's default port changes, and a
port the page shows for anything else is compared as it is.

The package's own version changes with every commit (it comes from git tags:
``0.2.0`` on the tag ``v0.2.0``, ``0.2.1.devN+g<commit>`` after it). Pages show it as
``<version>``; only the exact installed version (what ``hokusai --version`` prints in
the tested environment) becomes that placeholder, so a page that names any other
version still fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.metadata import version

from hokusai.local.stack import DEFAULT_PORT

INSTALLED_VERSION = version("hokusai-ml-platform")
# What a golden file keeps of the package's version, and pages show.
VERSION_RULES = [
    (re.compile(rf"(?<![\w.+]){re.escape(INSTALLED_VERSION)}(?![\w.+])"), "<version>"),
]
RULES = [
    *VERSION_RULES,
    (re.compile(r"\bm-[0-9a-f]{32}\b"), "m-<model-id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<run-id>"),
    (re.compile(r"\bhk_(test|live)_[A-Za-z0-9]{32}\b"), r"hk_\1_<secret>"),
    # Shortened forms: `hokusai keys list` (first characters), login/doctor (last ones).
    (re.compile(r"\bhk_(test|live)_[A-Za-z0-9]{1,8}…"), r"hk_\1_<prefix>…"),
    (re.compile(r"\bhk_(test|live)_…[A-Za-z0-9]{1,8}\b"), r"hk_\1_…<suffix>"),
    (re.compile(r"\bkey_[0-9a-f]{12}\b"), "key_<id>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<timestamp>"),
    (re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d"), "<timestamp>"),  # MLflow's log lines
    (re.compile(r"\(pid \d+\)"), "(pid <pid>)"),
    (re.compile(r"\b0x[0-9a-f]{6,}\b"), "<address>"),
]


def _port_rules(ports: Iterable[int]) -> list:
    return [
        (re.compile(rf"\b(?:127\.0\.0\.1|localhost):{port}\b"), f"127.0.0.1:{DEFAULT_PORT}")
        for port in ports
        if port != DEFAULT_PORT
    ]


def _apply(text: str, rules) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(lines)


def normalize(text: str, ports: Iterable[int] = ()) -> str:
    """Placeholders for volatile values, the harness's ``ports`` shown as the reader's;
    trailing spaces and edge blank lines dropped.

    Examples:
        >>> normalize("run 0123456789abcdef0123456789abcdef at 127.0.0.1:41234", ports=[41234])
        'run <run-id> at 127.0.0.1:5000'
        >>> normalize("at 127.0.0.1:41234")
        'at 127.0.0.1:41234'
    """
    return _apply(text, [*_port_rules(ports), *RULES])


def for_display(text: str, ports: Iterable[int] = ()) -> str:
    """What a golden ``.out`` file stores: the real output, on the reader's port."""
    return _apply(text, [*_port_rules(ports), *VERSION_RULES]) + "\n"
