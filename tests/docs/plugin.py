"""pytest plugin: every page of ``docs/`` is a test module, every block a test.

Wired from the root ``conftest.py`` (a conftest's ``pytest_collect_file`` only sees
files below its own folder). Each page runs in its own namespace and temporary
working directory, against the session's local registry (``tests/support/stack.py``).

The pages in ``READER_SESSIONS`` are run instead as one reader's terminal session
(``tests/docs/session.py``): their blocks' copy payloads, pasted in page order into one
``bash`` in an empty folder, with a reader's environment and their own registry.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sybil import Document, Region, Sybil

from tests.docs import evaluators as ev
from tests.docs import session, stamp
from tests.docs.blocks import Kind, classify
from tests.docs.copy_presses import PRESSES
from tests.docs.docstrings import docstring_examples_namespace, require_registry
from tests.docs.install import VENVS, evaluate_install, page_recipes
from tests.docs.lexers import Rejected, fences, fences_and_rejected
from tests.docs.outcomes import Outcomes, expected_blocks
from tests.docs.results import BlockResults, results_file
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
READER_SESSIONS = ("quickstart.md",)


def page_blocks(document: Document) -> Iterator[Region]:
    if Path(document.path).name in READER_SESSIONS:
        return _blocks(document, lambda fence: session.evaluate)
    return _blocks(document, lambda fence: EVALUATORS.get(classify(fence)))


def _blocks(document: Document, evaluator_of) -> Iterator[Region]:
    blocks, rejected = fences_and_rejected(document)
    for region, line in rejected:  # fences the site prints as text fail at their line
        region.parsed = line
        region.evaluator = _rejected_fence
    regions = [region for region, _ in rejected]
    for fence in blocks:
        evaluator = None if classify(fence) is Kind.NOT_TESTED else evaluator_of(fence)
        if evaluator is not None:  # not-tested and unclassified blocks: see test_guards.py
            fence.region.parsed = fence
            fence.region.evaluator = evaluator
            regions.append(fence.region)
    yield from sorted(regions, key=lambda region: region.start)


def _rejected_fence(example) -> None:
    __tracebackhide__ = True
    rejected: Rejected = example.parsed
    raise ev.DocBlockError(f"{ev.where(example)}: {rejected.text.strip()}: {rejected.reason}")


def _setup(namespace: dict) -> None:
    workdir = tempfile.TemporaryDirectory(prefix="hokusai-page-")
    namespace["__tmp__"] = workdir
    namespace[ev.WORKDIR] = workdir.name


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
    require_registry(items)  # docstring examples that use `registry`, `info`…
    result = yield
    if not config.option.collectonly:
        # The selected pages' install blocks build their venvs meanwhile (pip, on a
        # background thread, after those of tests/install, which run before the pages).
        for page in dict.fromkeys(Path(str(item.path)) for item in items if _on_a_page(item)):
            VENVS.prefetch(*page_recipes(Document(page.read_text(), str(page))))
    # ...and at the very end the reader's sessions and the site's tests: both run in
    # the background meanwhile (the session since its page was collected).
    items.sort(key=lambda item: 2 if _checks_the_site(item) else _is_a_reader_session(item))
    _site_checked[:] = [any(_checks_the_site(item) for item in items)]
    return result


_site_checked: list[bool] = []  # whether this run's selection checks the built site


def _is_a_reader_session(item) -> bool:
    return _on_a_page(item) and Path(str(item.path)).name in READER_SESSIONS


def pytest_runtest_setup(item) -> None:
    if _on_a_page(item) and any(_site_checked):
        SITE.start()  # the site builds on the idle core while the pages run...
        PRESSES.start(SITE.built)  # ...then Chromium presses its copy buttons


OUTCOMES = Outcomes()
__all__ = ["docstring_examples_namespace"]  # a fixture: pytest finds it in this plugin


RESULTS = BlockResults()


def pytest_runtest_logreport(report) -> None:
    OUTCOMES.add(report.nodeid, report.when, report.outcome)
    RESULTS.add(report)


def pytest_sessionfinish(session, exitstatus) -> None:
    if results_file() is not None:  # each block's result, for the live preview...
        RESULTS.write(results_file())
        return  # ...which leaves the record of the last full run alone
    # The record the site's "Verified with …" stamp is built from (tests/docs/stamp.py).
    if OUTCOMES.ran_a_page() and not ev.UPDATE_GOLDENS:
        pages = OUTCOMES.pages(expected_blocks(page_blocks))
        stamp.write(pages, OUTCOMES.harness_passed(), passed=exitstatus == 0)


def pytest_terminal_summary(terminalreporter) -> None:
    summary = VENVS.summary()
    if summary:
        terminalreporter.write_sep("-", "install blocks")
        terminalreporter.write_line(summary)


def pytest_unconfigure() -> None:
    session.stop_all()
    ev.WARM.stop()
    PRESSES.stop()
    SITE.cleanup()
    VENVS.cleanup()


_collect_page = Sybil(
    parsers=[page_blocks],
    path=str(ev.ROOT / "docs"),
    patterns=["*.md"],
    excludes=READER_SESSIONS,
    fixtures=["local_registry"],
    setup=_setup,
    teardown=_teardown,
).pytest()
# A reader's session needs no shared registry: it starts its own, while the shared one boots.
_collect_session_page = Sybil(
    parsers=[page_blocks],
    path=str(ev.ROOT / "docs"),
    patterns=READER_SESSIONS,
    setup=_setup,
    teardown=_teardown,
).pytest()


def _requested(file_path: Path, config) -> bool:
    """Whether the command line asked for this page (pytest also calls
    ``pytest_collect_file`` for the other files of a folder it walks through)."""
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == file_path or path in file_path.parents:
            return True
    return False


def pytest_collect_file(file_path: Path, parent):
    page = _collect_page(file_path, parent) or _collect_session_page(file_path, parent)
    config = parent.config
    if page is None or config.option.collectonly or not _requested(file_path, config):
        return page
    if file_path.name in READER_SESSIONS:  # its registry boots while the rest is collected
        session.start_reading(
            file_path, list(fences(Document(file_path.read_text(), str(file_path))))
        )
    else:  # other pages need both (a reader's session neither): they boot meanwhile
        start_registry()
        ev.WARM.start()
    return page
