"""mkdocs hook: show which blocks are not tested, and what every page was verified with.

* ``<!-- not-tested: reason -->`` above a fence (the harness's opt-out marker) becomes a
  visible "not tested: reason" badge.
* Each page ends with "Verified with hokusai-ml-platform X, MLflow Y": the versions
  the doc tests of this build ran against.
"""

from __future__ import annotations

import html
import re
from importlib.metadata import PackageNotFoundError, version

NOT_TESTED = re.compile(r"^([ \t]*)<!--\s*not-tested:(?P<reason>[^>]*?)-->[ \t]*$", re.M)


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def _badge(match: re.Match) -> str:
    reason = html.escape(match.group("reason").strip())
    return f'{match.group(1)}<span class="not-tested">not tested: {reason}</span>\n'


def on_page_markdown(markdown: str, page, config, files) -> str:
    stamp = (
        f'\n\n<p class="verified-with">Verified with hokusai-ml-platform '
        f"{_version('hokusai-ml-platform')}, MLflow {_version('mlflow-skinny')}: every "
        "example on this page ran in the doc tests.</p>\n"
    )
    return NOT_TESTED.sub(_badge, markdown) + stamp
