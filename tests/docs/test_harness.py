"""The harness itself: drift in a page must fail, and name the page and line."""

from __future__ import annotations

import textwrap

import pytest
from sybil import Document

from tests.docs.blocks import Kind, classify
from tests.docs.console import parse_console
from tests.docs.evaluators import WORKDIR, DocBlockError
from tests.docs.lexers import fences
from tests.docs.plugin import page_blocks


def run_page(tmp_path, text: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent(text))
    document = Document.parse(str(page), page_blocks)
    document.namespace[WORKDIR] = str(tmp_path)
    for example in document.examples():
        example.evaluate()


def kinds(tmp_path, text: str) -> list[Kind]:
    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent(text))
    return [classify(f) for f in fences(Document(page.read_text(), str(page)))]


def test_a_raising_block_with_material_attributes_fails_at_its_page_line(tmp_path):
    page = """\
        # Title

        ```python title="x.py" hl_lines="2"
        value = 1
        raise ValueError("drifted")
        ```
        """
    with pytest.raises(ValueError, match="drifted") as info:
        run_page(tmp_path, page)
    frames = [(entry.path, entry.lineno + 1) for entry in info.traceback]
    assert (tmp_path / "page.md", 5) in [(p, n) for p, n in frames]


def test_py_and_tabbed_blocks_run_in_one_namespace(tmp_path):
    run_page(
        tmp_path,
        """\
        ```py
        counter = 1
        ```

        === "Tab"

            ```python
            counter += 1
            print(counter)
            ```

        ```output
        2
        ```
        """,
    )


def test_a_wrong_output_block_fails_naming_the_page_line(tmp_path):
    page = """\
        ```python
        print("actual")
        ```

        ```output
        shown
        ```
        """
    with pytest.raises(DocBlockError, match=r"page\.md:5: output block differs"):
        run_page(tmp_path, page)


def test_a_failing_bash_block_fails_with_its_output(tmp_path):
    with pytest.raises(DocBlockError, match=r"page\.md:1: bash block exited with 3"):
        run_page(tmp_path, "```bash\necho before\nexit 3\n```\n")


def test_console_blocks_compare_each_commands_output(tmp_path):
    run_page(tmp_path, "```console\n$ echo one\none\n$ printf 'a\\nb\\n'\na\nb\n```\n")
    with pytest.raises(DocBlockError, match=r"output of \$ echo two"):
        run_page(tmp_path, "```console\n$ echo two\nthree\n```\n")


def test_console_continuation_lines_are_one_command():
    assert parse_console("$ echo a \\\n    b\na b\n") == [("echo a \\\n    b", "a b")]


def test_every_block_kind_is_classified_and_unknown_ones_are_not(tmp_path):
    page = """\
        ```toml
        a = 1
        ```

        <!-- not-tested: shows the production URL -->
        ```python
        x = 1
        ```

        <!-- not-tested: -->
        ```python
        y = 1
        ```

        ```python
        --8<-- "snippets/quickstart/register.py"
        ```
        """
    assert kinds(tmp_path, page) == [
        Kind.UNCLASSIFIED,
        Kind.NOT_TESTED,
        Kind.UNCLASSIFIED,
        Kind.INCLUDE,
    ]


def test_not_tested_blocks_are_not_run(tmp_path):
    run_page(
        tmp_path,
        "<!-- not-tested: would call production -->\n```python\nraise SystemExit(1)\n```\n",
    )


def test_signature_check_catches_the_old_guides_drift():
    from tests.docs.signatures import check_block

    problems = check_block(
        "from hokusai import ModelRegistry\n"
        "from hokusai.evaluation import Evaluator\n"
        "registry = ModelRegistry(tracking_uri='https://registry.hokus.ai/api/mlflow')\n"
        "registry.register_model('m')\n"
        "registry.get_tokenized_model('m', 1, 2, 3)\n"
        "from hokusai.services import ModelRegistry as Old\n"
    )
    assert any(
        p.startswith("line 2: hokusai.evaluation has no name 'Evaluator'") for p in problems
    ), problems
    assert any("line 4: ModelRegistry has no attribute 'register_model'" in p for p in problems), (
        problems
    )
    assert any(p.startswith("line 5: ModelRegistry.get_tokenized_model") for p in problems), (
        problems
    )
    assert any(p.startswith("line 6: ") and "deprecated" in p for p in problems), problems


def test_signature_check_accepts_calls_that_bind():
    from tests.docs.signatures import check_block

    assert (
        check_block(
            "import hokusai\n"
            "from hokusai import ModelRegistry\n"
            "registry = ModelRegistry(api_key='hk_live_x')\n"
            "registry.get_tokenized_model('lead-scorer', version=2)\n"
            "hokusai.ModelRegistry()\n"
        )
        == []
    )


def test_volatile_values_are_normalised_and_nothing_else():
    from tests.docs.normalize import normalize

    shown = "key_0123456789ab hk_test_AbCd… hk_live_…x9Zq on 127.0.0.1:5000 run 0123456789abcdef0123456789abcdef"
    actual = "key_ba9876543210 hk_test_QrSt… hk_live_…Ab12 on 127.0.0.1:43121 run fedcba9876543210fedcba9876543210"
    assert normalize(shown) == normalize(actual, ports=[43121])
    assert normalize("version 1") != normalize("version 2")


def test_only_the_harness_ports_are_shown_as_the_cli_default_port():
    from hokusai.local.stack import DEFAULT_PORT
    from tests.docs.normalize import normalize

    assert normalize("http://127.0.0.1:43121/api", ports=[43121]) == (
        f"http://127.0.0.1:{DEFAULT_PORT}/api"
    )
    assert normalize("http://127.0.0.1:9/api", ports=[43121]) == "http://127.0.0.1:9/api"
    assert normalize("http://127.0.0.1:43121/api") == "http://127.0.0.1:43121/api"


def _read_as_a_session(tmp_path, text: str):
    from tests.docs.session import Reading

    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent(text))
    reading = Reading(page, list(fences(Document(page.read_text(), str(page)))))
    reading.start()
    reading.thread.join(120)
    return reading


SESSION_PAGE = """\
    ```bash
    mkdir work && cd work && export GREETING=hello
    ```

    ```python title="hello.py"
    import os

    print(os.environ["GREETING"], os.path.basename(os.getcwd()))
    ```

    ```console
    $ python hello.py
    hello work
    ```
    """


def test_a_reader_session_is_one_shell_in_page_order(tmp_path):
    reading = _read_as_a_session(tmp_path, SESSION_PAGE)
    assert reading.failures == {}
    for line in reading.done:
        reading.result(line)  # raises on a failure


def test_a_reader_session_fails_at_the_block_that_differs(tmp_path):
    reading = _read_as_a_session(tmp_path, SESSION_PAGE.replace("    hello work", "    hi work"))
    assert list(reading.failures) == [11]
    with pytest.raises(DocBlockError, match=r"page\.md:11: output of \$ python hello\.py differs"):
        reading.result(11)


def test_pip_blocks_are_install_blocks(tmp_path):
    page = """\
        ```bash
        python -m pip install ".[server]"
        ```

        ```bash
        python -m pip install .
        hokusai --version
        ```
        """
    assert kinds(tmp_path, page) == [Kind.INSTALL, Kind.SHELL]


def test_an_install_block_runs_in_a_fresh_venv_and_the_page_goes_on_there(tmp_path):
    run_page(
        tmp_path,
        """\
        ```bash
        python -m pip check
        ```

        ```console
        $ python -c "import importlib.util, sys; print(sys.prefix != sys.base_prefix, importlib.util.find_spec('hokusai'))"
        True None
        ```
        """,
    )
