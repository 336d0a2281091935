"""Hypothesis profiles and the figures the reliability tests report.

- ``HYPOTHESIS_PROFILE=fast`` (default, the normal test command): a few hundred cases
  per fuzz test, derandomized so CI is reproducible, well under 30 s in all.
- ``HYPOTHESIS_PROFILE=stress`` (``nox -s stress``): random, >= 10,000 cases in all.

Profiles are applied per test (``@PROFILE``), never loaded globally, so other suites
using hypothesis keep their own settings. No example database is written (these tests
may only leave files under ``tests/reliability``; hypothesis's cache goes to the temp dir).
"""

from __future__ import annotations

import os
from collections import Counter

PROFILE_NAME = "stress" if os.environ.get("HYPOTHESIS_PROFILE") == "stress" else "fast"
STRESS = os.environ.get("HOKUSAI_STRESS") == "1"
STRESS_MIN_CASES = 10_000

# Requests actually sent through the gateway, by fuzz test; and other figures to print.
FUZZ_CASES: Counter[str] = Counter()
FIGURES: list[str] = []


def profile():
    """The hypothesis ``settings`` of the chosen profile (imports hypothesis)."""
    import tempfile
    from pathlib import Path

    from hypothesis import HealthCheck, settings
    from hypothesis.configuration import set_hypothesis_home_dir

    # Hypothesis caches constants and Unicode tables in ./.hypothesis even without an
    # example database: keep the checkout clean.
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "hokusai-hypothesis")

    common = {
        "deadline": None,  # a shared 2-core box: per-example timing means nothing
        "database": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    if PROFILE_NAME == "stress":
        return settings(max_examples=3500, **common)
    return settings(max_examples=150, derandomize=True, **common)
