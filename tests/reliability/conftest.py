"""Reliability tests: prints the fuzz case counts and load figures after the run."""

from __future__ import annotations

from tests.reliability._profiles import FIGURES, FUZZ_CASES, PROFILE_NAME


def pytest_terminal_summary(terminalreporter) -> None:
    if not FUZZ_CASES and not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, count in sorted(FUZZ_CASES.items()):
        terminalreporter.write_line(f"{name}: {count} requests")
    if FUZZ_CASES:
        total = sum(FUZZ_CASES.values())
        terminalreporter.write_line(f"fuzz total: {total} generated requests ({PROFILE_NAME})")
    for line in FIGURES:
        terminalreporter.write_line(line)
