"""pytest plugin: every page of ``docs/`` is a test module, every block a test.

Wired from the root ``conftest.py`` (a conftest's ``pytest_collect_file`` only sees
files below its own folder). Each page runs in its own namespace and temporary
working directory, against the session's local registry (``tests/support/stack.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sybil import Document, Region, Sybil

from tests.docs import evaluators as ev
from tests.docs.blocks import Kind, classify
from tests.docs.install import VENVS, evaluate_install, page_recipes
from tests.docs.lexers import fences
from tests.docs.site_build import SITE
from tests.support.stack import start_registry

EVALUATORS = {
    Kind.PYTHON: ev.evaluate_python,
    Kind.SHELL: ev.evaluate_shell,
    Kind.INSTALL: evaluate_install,
    Kind.CONSOLE: ev.evaluate_console,
    Kind.OUTPUT: ev.evaluate_output,
    Kind.INCLUDE: ev.evaluate_include,
}


def page_blocks(document: Document) -> Iterator[Region]:
    for fence in fences(document):
        evaluator = EVALUATORS.get(classify(fence))
        if evaluator is not None:  # not-tested and unclassified blocks: see test_guards.py
            fence.region.parsed = fence
            fence.region.evaluator = evaluator
            yield fence.region


def _setup(namespace: dict) -> None:
    workdir = tempfile.TemporaryDirectory(prefix="hokusai-page-")
    namespace["__tmp__"] = workdir
    namespace[ev.WORKDIR] = workdir.name
    # Fixtures reach the namespace after setup, so look the registry up when asked.
    namespace[ev.NAMED_OUTPUTS] = lambda: {
        "hokusai local up": "\n".join(namespace["local_registry"].output)
    }


def _teardown(namespace: dict) -> None:
    namespace["__tmp__"].cleanup()


STARTS_PROGRAMS = ("test_harness.py", "test_warm.py")  # besides the pages


def _on_a_page(item) -> bool:
    return ev.ROOT / "docs" in Path(str(item.path)).parents


def _starts_programs(item) -> bool:
    return _on_a_page(item) or Path(str(item.path)).name in STARTS_PROGRAMS


def _checks_the_site(item) -> bool:
    return Path(str(item.path)).name == "test_site.py"


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items: list):
    # Pages start programs (the warm interpreter boots since their collection): run the
    # tests that start none first (tests/support/stack.py then moves registry users last)...
    items.sort(key=_starts_programs)
    result = yield
    if not config.option.collectonly:
        # The selected pages' install blocks build their venvs meanwhile (pip, on a
        # background thread, after those of tests/install, which run before the pages).
        for page in dict.fromkeys(Path(str(item.path)) for item in items if _on_a_page(item)):
            VENVS.prefetch(*page_recipes(Document(page.read_text(), str(page))))
    # ...and the site's tests at the very end: it builds in the background meanwhile.
    items.sort(key=_checks_the_site)
    return result


def pytest_runtest_setup(item) -> None:
    if _on_a_page(item):
        SITE.start()  # the site builds on the idle core while the pages run


def pytest_terminal_summary(terminalreporter) -> None:
    summary = VENVS.summary()
    if summary:
        terminalreporter.write_sep("-", "install blocks")
        terminalreporter.write_line(summary)


def pytest_unconfigure() -> None:
    ev.WARM.stop()
    SITE.cleanup()
    VENVS.cleanup()


_collect_page = Sybil(
    parsers=[page_blocks],
    path=str(ev.ROOT / "docs"),
    patterns=["*.md"],
    fixtures=["local_registry"],
    setup=_setup,
    teardown=_teardown,
).pytest()


def pytest_collect_file(file_path: Path, parent):
    page = _collect_page(file_path, parent)
    if page is not None and not parent.config.option.collectonly:
        # Pages need both: they boot while the rest is collected.
        start_registry()
        ev.WARM.start()
    return page
