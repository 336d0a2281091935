"""The documented filter for volatile values in compared output.

Run ids, logged-model ids, API-key secrets and ids, timestamps and the registry's
port change on every run; they are replaced by placeholders on *both* sides before
actual output is compared with the output a page shows. Nothing else is touched.

The package's own version changes with every commit (it comes from git tags:
``0.2.0`` on the tag ``v0.2.0``, ``0.2.1.devN+g<commit>`` after it). Pages show it as
``<version>``; only the exact installed version (what ``hokusai --version`` prints in
the tested environment) becomes that placeholder, so a page that names any other
version still fails.
"""

from __future__ import annotations

import re
from importlib.metadata import version

INSTALLED_VERSION = version("hokusai-ml-platform")
# For display: what a golden file keeps (a reader's registry runs on port 5000).
DISPLAY_RULES = [
    (re.compile(r"(127\.0\.0\.1|localhost):\d{2,5}\b"), r"127.0.0.1:5000"),
    (re.compile(rf"(?<![\w.+]){re.escape(INSTALLED_VERSION)}(?![\w.+])"), "<version>"),
]
RULES = [
    *DISPLAY_RULES,
    (re.compile(r"\bm-[0-9a-f]{32}\b"), "m-<model-id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<run-id>"),
    (re.compile(r"\bhk_(test|live)_[A-Za-z0-9]{32}\b"), r"hk_\1_<secret>"),
    # Shortened forms: `hokusai keys list` (first characters), login/doctor (last ones).
    (re.compile(r"\bhk_(test|live)_[A-Za-z0-9]{1,8}…"), r"hk_\1_<prefix>…"),
    (re.compile(r"\bhk_(test|live)_…[A-Za-z0-9]{1,8}\b"), r"hk_\1_…<suffix>"),
    (re.compile(r"\bkey_[0-9a-f]{12}\b"), "key_<id>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<timestamp>"),
    (re.compile(r"\b0x[0-9a-f]{6,}\b"), "<address>"),
]


def _apply(text: str, rules) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(lines)


def normalize(text: str) -> str:
    """Placeholders for volatile values; trailing spaces and edge blank lines dropped."""
    return _apply(text, RULES)


def for_display(text: str) -> str:
    """What a golden ``.out`` file stores: the real output, on the documented port."""
    return _apply(text, DISPLAY_RULES) + "\n"
