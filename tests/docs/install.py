"""Install commands run as a reader runs them: in a fresh ``python -m venv``, from a clone.

An *install block* is a ``bash`` block whose every command is ``python -m pip …``
(:func:`is_install_block`). The harness runs it exactly as shown, with a new
environment's ``bin`` first on PATH (as after ``source .venv/bin/activate``), in a
clone of this repository with the working tree's edits on top (the pages say "from
the root of your clone"; the package takes its version from git). The blocks
after it on the same page run in that environment too
(:func:`tests.docs.evaluators.block_environment`), so a page checks what it promises
right where it promises it. Two markers, on the line above the block:

* ``<!-- starting-from: ARGS -->``: the fresh environment first gets
  ``python -m pip install ARGS`` (the reader's existing MLflow 2.x, say);
* ``<!-- same-venv -->``: no fresh environment: the block runs in the one the page's
  previous install block made (a fix applied where the problem was shown). That
  venv is a recipe of its own (the previous one's commands, then this block's), so
  the blocks between the two keep theirs as the install block left it.

pip is the reader's pip, with its own cache (``~/.cache/pip``). Each environment is
made once per test session (:data:`VENVS`), in the background from the moment its
page is collected, while the tests that come before the pages run; and kept across
sessions in ``.nox/install-venvs/``, reused while nothing that decides its content
changed (`tests.docs.venv_cache`, which also records the commands that made it).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from tests.docs.venv_cache import CACHE, REBUILD, Step, venv_for

ROOT = Path(__file__).resolve().parents[2]
PIP = re.compile(r"^python -m pip (install|uninstall|check)\b")
INSTALL_TIMEOUT = 900
STARTING_FROM = re.compile(r"<!--\s*starting-from:(?P<args>[^>]*?)-->[ \t]*\n[ \t]*\Z")
SAME_VENV = re.compile(r"<!--\s*same-venv\s*-->[ \t]*\n[ \t]*\Z")
# What the test session's own shell has that a reader's activated venv does not.
_NOT_THE_READERS = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT")


def is_install_block(source: str) -> bool:
    """Every command (comments and blank lines aside) is a ``python -m pip`` command.

    Examples:
        >>> is_install_block('python -m pip install ".[server]"\\n')
        True
        >>> is_install_block("python -m pip uninstall -y a && python -m pip install b\\n")
        True
        >>> is_install_block("python -m pip install .\\nhokusai --version\\n")
        False
    """
    lines = [line.strip() for line in source.splitlines()]
    commands = [
        part.strip()
        for line in lines
        if line and not line.startswith("#")
        for part in line.split("&&")
    ]
    return bool(commands) and all(PIP.match(command) for command in commands)


@dataclass(frozen=True)
class Recipe:
    """How an install block's environment is made: which Python, what is installed
    first (``starting-from``), then the block's command, from the tree's root."""

    command: str
    python: str = sys.executable
    first: str = ""
    then: tuple[str, ...] = ()  # same-venv blocks after it

    @property
    def commands(self) -> list[str]:
        """What is run in the new venv, in order, from the tree's root."""
        first = [f"python -m pip install {self.first}"] if self.first else []
        return [*first, self.command, *self.then]

    def followed_by(self, command: str) -> Recipe:
        """This venv after a ``same-venv`` block's ``command``."""
        return replace(self, then=(*self.then, command))

    @classmethod
    def above(cls, text_before_block: str, command: str, python: str = sys.executable):
        """The recipe of the block whose page text before it is ``text_before_block``
        (None for a ``same-venv`` block).

        Examples:
            >>> Recipe.above('x\\n<!-- starting-from: "mlflow==2.9.0" -->\\n', "python -m pip install .").first
            '"mlflow==2.9.0"'
            >>> Recipe.above("x\\n<!-- same-venv -->\\n", "python -m pip install .") is None
            True
        """
        tail = text_before_block[-500:]
        if SAME_VENV.search(tail):
            return None
        marker = STARTING_FROM.search(tail)
        return cls(command, python, marker.group("args").strip() if marker else "")


@dataclass(frozen=True)
class Venv:
    """A virtual environment made with plain ``python -m venv``, by ``recipe``; its
    last command printed ``output`` (when it last ran: see `tests.docs.venv_cache`)."""

    path: Path
    recipe: Recipe | None = field(default=None, compare=False)
    output: str = field(default="", compare=False)

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's) as an activated venv sees it: its ``bin``
        first on PATH and no trace of the test session's own virtual environment."""
        env = {k: v for k, v in (base or os.environ).items() if k not in _NOT_THE_READERS}
        ours = {str(Path(sys.executable).parent), str(Path(sys.prefix) / "bin")}
        path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in ours]
        env["PATH"] = os.pathsep.join([str(self.bin), *path])
        env["VIRTUAL_ENV"] = str(self.path)
        return env

    def run(self, script: str, cwd: Path, timeout: float = INSTALL_TIMEOUT, **env: str):
        """``script`` in bash (``-e -o pipefail``), as typed into the activated venv
        (with the variables ``env`` exported first)."""
        return subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=cwd,
            env=self.environment({**os.environ, **env}),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


class InstallFailed(AssertionError):
    """An install command, run as the page shows it, did not succeed."""


def failure(what: str, result: subprocess.CompletedProcess) -> InstallFailed:
    return InstallFailed(
        f"{what} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )


class _Session:
    """Per test session: one copy of the tree, and each recipe's venv, built once, in
    order, on one background thread (pip is busy enough on a 2-core machine)."""

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._tree: Path | None = None
        self._wheel: Path | None = None
        self._builds: dict[Recipe, Future] = {}
        self._builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="venvs")
        self.built: list[tuple[Recipe, float, str]] = []
        # The builder thread, the tests and a reader's session (tests/docs/session.py)
        # may ask at once: one clone, and each recipe built once.
        self._lock = threading.RLock()

    @property
    def tmp(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hokusai-install-")
        return Path(self._tmp.name)

    def tree(self) -> Path:
        """A clone of this repository at HEAD, with the working tree's edits on top (new
        files too, ignored ones not): what a reader's clone is, and what ``python -m pip
        install .`` there builds, its version from git included."""
        with self._lock:
            return self._tree or self._clone()

    def _clone(self) -> Path:
        tree = self.tmp / "clone"

        def git(*args: str, cwd: Path = ROOT) -> str:
            return subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
            ).stdout

        head = git("rev-parse", "HEAD").strip()
        git("clone", "--quiet", "--shared", "--no-checkout", str(ROOT), str(tree))
        git("checkout", "--quiet", "--detach", head, cwd=tree)
        for name in filter(None, git("ls-files", "-z", "--deleted").split("\0")):
            (tree / name).unlink(missing_ok=True)
        edited = git("ls-files", "-z", "--modified", "--others", "--exclude-standard")
        for name in filter(None, edited.split("\0")):
            if (ROOT / name).is_file():
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, tree / name)
        self._tree = tree
        return self._tree

    def wheel(self, venv: Venv) -> Path:
        """The package's wheel, built once from the tree by ``venv``'s pip (for venvs
        built at another commit of the same sources: `tests.docs.venv_cache`)."""
        with self._lock:
            if self._wheel is None:
                folder = self.tmp / "wheel"
                build = venv.run(
                    f"python -m pip wheel --no-deps --wheel-dir {shlex.quote(str(folder))} .",
                    cwd=self.tree(),
                )
                if build.returncode:
                    raise failure("building the package's wheel", build)
                [self._wheel] = folder.glob("*.whl")
            return self._wheel

    def prefetch(self, *recipes: Recipe) -> None:
        """Start building these venvs in the background (in order, each once)."""
        with self._lock:
            for recipe in recipes:
                if recipe not in self._builds:
                    self._builds[recipe] = self._builder.submit(self._make, recipe)

    def install(self, recipe: Recipe) -> Venv:
        """The recipe's venv: waited for if prefetched, else built now, in this thread
        (not queued behind the prefetched ones)."""
        with self._lock:
            build = self._builds.get(recipe)
            mine = build is None
            if mine:
                build = self._builds[recipe] = Future()
        if mine:
            try:
                build.set_result(self._make(recipe))
            except BaseException as error:
                build.set_exception(error)
        return build.result()

    def _make(self, recipe: Recipe) -> Venv:
        started, how = time.perf_counter(), "failed"

        def make(path: Path) -> None:
            made = subprocess.run(
                [recipe.python, "-m", "venv", str(path)], capture_output=True, text=True
            )
            if made.returncode:
                raise failure(f"{recipe.python} -m venv", made)

        def run(path: Path, commands: list[str]) -> list[Step]:
            steps = []
            for command in commands:
                result = Venv(path).run(command, cwd=self.tree())
                if result.returncode:
                    raise failure(f"{command.strip()!r} in a venv of {recipe.python}", result)
                steps.append(Step(command, result.returncode, result.stdout, result.stderr))
            return steps

        def reinstall(path: Path) -> list[Step]:
            wheel = shlex.quote(str(self.wheel(Venv(path))))
            return run(path, [f"python -m pip install --no-deps --force-reinstall {wheel}"])

        try:
            path, how, output = venv_for(recipe.commands, recipe.python, make, run, reinstall)
            return Venv(path, recipe, output)
        finally:
            self.built.append((recipe, time.perf_counter() - started, how))

    def summary(self) -> str | None:
        """One line per venv this session used: how it got it (built, reused…), in what time
        (for the terminal summary)."""
        if not self.built:
            return None
        total = sum(seconds for _, seconds, _ in self.built)
        lines = [f"{len(self.built)} venvs for install commands, {total:.0f} s in the background"
                 f" (kept in {CACHE.relative_to(ROOT)}; {REBUILD}=1 rebuilds them):"]  # fmt: skip
        for recipe, seconds, how in self.built:
            first = f" (after {recipe.first})" if recipe.first else ""
            then = "".join(f" then {command.strip()}" for command in recipe.then)
            python = Path(recipe.python).name
            if recipe.python == sys.executable:
                python = f"python{sys.version_info.major}.{sys.version_info.minor}"
            lines.append(
                f"  {seconds:5.0f} s  {how:19}  {python}: {recipe.command.strip()}{first}{then}"
            )
        return "\n".join(lines)

    def cleanup(self) -> None:
        self._builder.shutdown(wait=True, cancel_futures=True)
        if self._tmp is not None:
            self._tmp.cleanup()


VENVS = _Session()


def page_recipes(document) -> list[Recipe]:
    """The fresh venvs a page's install blocks need, in page order."""
    from tests.docs.blocks import Kind, classify
    from tests.docs.lexers import fences

    recipes: list[Recipe] = []
    for fence in fences(document):
        if classify(fence) is Kind.INSTALL:
            recipe = Recipe.above(document.text[: fence.region.start], fence.source)
            if recipe is None and recipes:  # same-venv: the previous one, then this block
                recipe = recipes[-1].followed_by(fence.source)
            if recipe is not None:
                recipes.append(recipe)
    return recipes


def evaluate_install(example) -> None:
    """Sybil evaluator: the block in a fresh venv (or, after ``same-venv``, in the
    page's current one, as its recipe followed by this block); the page's next blocks
    run in that venv, and an ``output`` block compares what the block printed."""
    __tracebackhide__ = True
    from tests.docs.evaluators import LAST_OUTPUT, VENV, DocBlockError, where

    fence = example.parsed
    recipe = Recipe.above(example.document.text[: fence.region.start], fence.source)
    if recipe is None:
        venv = example.namespace.get(VENV)
        if venv is None:
            raise DocBlockError(f"{where(example)}: same-venv, but no install block above")
        recipe = venv.recipe.followed_by(fence.source)
    try:
        venv = VENVS.install(recipe)
    except InstallFailed as error:
        raise DocBlockError(f"{where(example)}: {error}") from None
    example.namespace[VENV] = venv
    example.namespace[LAST_OUTPUT] = venv.output


def interpreter(version: str) -> str | None:
    """A CPython ``version`` ("3.12") to make venvs with: ``python3.12`` on PATH if it
    runs (a pyenv shim without that version selected does not), else pyenv's own."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [str(candidate), "-c", "import sys, venv; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == str(
            tuple(map(int, version.split(".")))
        ):
            return str(candidate)
    return None
