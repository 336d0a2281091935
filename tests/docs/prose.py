"""Names and defaults in prose resolve against the code of this commit.

Every inline code span of a page (outside its fences) that names something in the
code is checked:

* ``hokusai …`` commands: each subcommand exists and each ``--flag`` is one of the
  command's options (``mlflow server …`` against MLflow's own command);
* a lone ``--flag``: an option of some ``hokusai`` command, of ``mlflow server`` or of
  uvicorn (``--factory``);
* ``HOKUSAI_*`` / ``MLFLOW_*`` environment variables: read by the code (the SDK's
  variables, the gateway's settings, the CLI's options, any variable named in
  ``src/`` or ``noxfile.py``) or by MLflow; other ``UPPER_CASE`` words: MLflow error
  codes or gateway settings;
* Python: dotted names (``hokusai.errors.ValidationError``, ``mlflow.sklearn.log_model``,
  ``module:attribute`` entry points) are imported; calls are bound to the signature
  (``get_tokenized_model(model_name)``); ``registry.x`` / ``manager.x`` are attributes
  of the SDK class those variables hold on every page;
* snake_case words (a parameter, a field, a tag key such as ``hokusai_token_id``): a
  name of the SDK's public API, a module of ``hokusai``, a string the code of
  ``src/hokusai`` contains, a key of the shipped configuration in ``deploy/`` (such
  as ``runbook_url``), or a name of MLflow's client API.

Ports: ``127.0.0.1:N`` / ``localhost:N`` anywhere in prose or in a not-tested block
must be a port the code defaults to (``hokusai local up``, the gateway, its MLflow
URL), or 9, the port the pages use for "nothing listens here".
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import inspect
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click

from tests.docs.lexers import RENDERER_OPTIONS

ROOT = Path(__file__).resolve().parents[2]
SPAN = re.compile(r"(?<!`)`([^`]+?)`(?!`)")
COMMENT = re.compile(r"<!--.*?-->", re.S)
PLACEHOLDER = re.compile(r"<[^>]*>|…|\.\.\.|\*")
ENV_LIKE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
PORT = re.compile(r"\b(?:127\.0\.0\.1|localhost):(\d+)\b")
FILE_NAME = re.compile(r"[\w./~<>-]+\.(?:toml|py|json|txt|md|log|db|ya?ml|out|sh|png|lock|cfg)")
NOTHING_LISTENS = 9  # TCP discard: the pages' "a port where nothing listens"
# Variables a page shows holding an SDK object, the same on every page.
VARIABLES = {
    "registry": "hokusai.ModelRegistry",
    "manager": "hokusai.ExperimentManager",
    "tracker": "hokusai.PerformanceTracker",
    "lineage": "hokusai.ModelLineage",
}
# Names that are not Python: checked elsewhere or by what they belong to.
NOT_CODE = {
    "auth_request": "an nginx directive (the ADR's alternatives)",
}


@dataclass(frozen=True)
class Span:
    line: int
    text: str


def spans(text: str, fence_lines: set[int]) -> list[Span]:
    """The inline code spans of a page, outside fences and HTML comments."""
    lines = text.split("\n")
    prose = "\n".join("" if i in fence_lines else line for i, line in enumerate(lines))
    prose = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), prose)
    found = []
    for paragraph in re.finditer(r"(?:.+\n?)+", prose):
        for match in SPAN.finditer(paragraph.group(0)):
            start = paragraph.start() + match.start()
            found.append(Span(prose.count("\n", 0, start) + 1, " ".join(match.group(1).split())))
    return found


def resolve(dotted: str):
    """The object a dotted name (or ``module:attribute``) names, else raise.

    A name the SDK answers on purpose (an old guide's ``hokusai.init`` or
    ``registry.promote_model``, which raise a ``HokusaiError`` naming the call to use)
    resolves to ``None``: the code knows it.
    """
    from hokusai.errors import HokusaiError

    module_name, _, attribute = dotted.partition(":")
    parts = module_name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except HokusaiError:  # an old guide's module: the SDK says what to use instead
            return None
        except ImportError:
            continue
        try:
            for name in [*parts[cut:], *filter(None, attribute.split("."))]:
                target = _attribute(target, name)
        except HokusaiError:
            return None
        return target
    raise ImportError(f"no module {parts[0]!r}")


def _attribute(owner, name: str):
    """``getattr``, and for a class, what its instances answer (their ``__getattr__``)."""
    if inspect.isclass(owner) and not hasattr(owner, name) and "__getattr__" in vars(owner):
        return owner.__getattr__(object.__new__(owner), name)
    return getattr(owner, name)


class Names:
    """What the code of this commit defines, for prose to be checked against."""

    @functools.cached_property
    def cli(self) -> click.Group:
        from hokusai.cli import main

        return main

    @functools.cached_property
    def mlflow_server(self) -> click.Command:
        from mlflow.cli import cli

        return cli.commands["server"]

    @functools.cached_property
    def flags(self) -> set[str]:
        uvicorn_cli = importlib.import_module("uvicorn.main").main  # `uvicorn.main` is a function

        commands = [self.mlflow_server, uvicorn_cli]
        stack: list[click.Command] = [self.cli]
        while stack:
            command = stack.pop()
            commands.append(command)
            if isinstance(command, click.Group):
                stack.extend(command.commands.values())
        return {opt for c in commands for p in c.params for opt in (*p.opts, *p.secondary_opts)}

    @functools.cached_property
    def upper_case(self) -> set[str]:
        """Environment variables the code reads, MLflow's error codes, gateway settings."""
        import mlflow.environment_variables
        from mlflow.protos.databricks_pb2 import ErrorCode

        from hokusai.config import SDK_ENVIRONMENT_VARIABLES
        from hokusai.gateway.settings import ENV_PREFIX, GatewaySettings

        names = {v.name for v in SDK_ENVIRONMENT_VARIABLES}
        names |= {n for n in dir(mlflow.environment_variables) if n.startswith("MLFLOW_")}
        names |= set(ErrorCode.keys())
        names |= {field.upper() for field in GatewaySettings.model_fields}
        names |= {(ENV_PREFIX + field).upper() for field in GatewaySettings.model_fields}
        names |= {opt.envvar for opt in self._options() if isinstance(opt.envvar, str)}
        for path in [*(ROOT / "src").rglob("*.py"), ROOT / "noxfile.py"]:  # read or set
            names |= set(
                re.findall(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""", path.read_text())
            )
        return names

    def _options(self) -> list[click.Parameter]:
        found, stack = [], [self.cli]
        while stack:
            command = stack.pop()
            found += command.params
            if isinstance(command, click.Group):
                stack.extend(command.commands.values())
        return found

    @functools.cached_property
    def snake_case(self) -> set[str]:
        """Names of the SDK's public API, its modules, strings in its code, the keys of
        the shipped configuration, MLflow's API."""
        import mlflow
        import mlflow.sklearn

        names: set[str] = set()
        for path in (ROOT / "src" / "hokusai").rglob("*.py"):
            tree = ast.parse(path.read_text())
            names.add(path.stem)
            docstrings = {id(d) for d in _docstrings(tree)}  # prose, not code
            for node in ast.walk(tree):
                if id(node) in docstrings:
                    continue
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    names |= set(re.findall(r"[a-z][a-z0-9_]*", node.value))
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(node.name)
                    names |= {a.arg for a in [*node.args.args, *node.args.kwonlyargs]}
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
                elif isinstance(node, ast.Name | ast.Attribute):
                    names.add(node.id if isinstance(node, ast.Name) else node.attr)
        for path in (ROOT / "deploy").rglob("*.yml"):  # the shipped Prometheus files
            names |= set(re.findall(r"^[ \t-]*([a-z][a-z0-9_]*):", path.read_text(), re.M))
        for owner in (mlflow, mlflow.sklearn, mlflow.MlflowClient):
            for name in dir(owner):
                names.add(name)
                with contextlib.suppress(TypeError, ValueError, AttributeError):
                    names |= set(inspect.signature(getattr(owner, name)).parameters)
        names |= {part for group in self.entry_point_groups for part in group.split(".")}
        names |= set(RENDERER_OPTIONS)  # a fence's options (tests/docs/lexers.py)
        hooks = importlib.import_module("_pytest.hookspec")  # pytest's hooks, e.g. in conftest.py
        names |= {name for name in dir(hooks) if name.startswith("pytest_")}
        return {name for name in names if "_" in name}

    @functools.cached_property
    def entry_point_groups(self) -> set[str]:
        """The entry-point groups pyproject.toml registers plugins in (``mlflow.app``…)."""
        import tomllib

        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        return set(project.get("entry-points", {}))


def _docstrings(tree: ast.Module) -> list[ast.Constant]:
    """Every string that is a statement of its own: docstrings, attribute docstrings."""
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]


def _cli_problem(names: Names, text: str) -> str | None:
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = text.split()
    program, *args = tokens
    command: click.Command = names.cli if program == "hokusai" else names.mlflow_server
    if program == "mlflow":
        if args[:1] != ["server"]:
            return None  # other mlflow commands are MLflow's business
        args = args[1:]
    path = [program]
    for token in args:
        if PLACEHOLDER.search(token) or token.isupper():
            continue  # `hokusai keys revoke <id>`, `hokusai COMMAND --help`
        if token.startswith("-"):
            option = token.split("=", 1)[0]
            known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
            if option not in known | {"--help"}:
                return f"`{' '.join(path)}` has no option {option}"
        elif isinstance(command, click.Group):
            if token not in command.commands:
                return f"`{' '.join(path)}` has no command {token!r}"
            command = command.commands[token]
            path.append(token)
    return None


def _python_problem(names: Names, text: str) -> str | None:
    source = text.removesuffix(":")
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        return None  # not a Python expression: a path, a URL, a message…
    call = tree if isinstance(tree, ast.Call) else None
    target = call.func if call else tree
    dotted = _dotted(target)
    if dotted is None:
        return None
    root, _, rest = dotted.partition(".")
    if root in VARIABLES:
        dotted = VARIABLES[root] + ("." + rest if rest else "")
    elif root not in ("hokusai", "mlflow") and not (root[:1].isupper() and _sdk_class(root)):
        return None if "." in dotted or call is None else _bare_call(names, dotted, call)
    elif root[:1].isupper():
        dotted = f"hokusai.{dotted}"
    if dotted in names.entry_point_groups:
        return None
    try:
        resolved = resolve(dotted)
    except (ImportError, AttributeError) as exc:
        return f"{text!r} does not resolve: {exc}"
    return _binds(resolved, call, text) if call else None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _dotted(node.value)
        return f"{owner}.{node.attr}" if owner else None
    return None


@functools.cache
def _sdk_class(name: str):
    import hokusai

    return getattr(hokusai, name, None)


def _bare_call(names: Names, name: str, call: ast.Call) -> str | None:
    """``get_tokenized_model(model_name)``: a method of an SDK class, bound."""
    import hokusai

    for owner_name in hokusai.__all__:
        owner = getattr(hokusai, owner_name)
        if inspect.isclass(owner) and hasattr(owner, name):
            return _binds(getattr(owner, name), call, name)
    return None if name in names.snake_case or "_" not in name else f"no SDK method {name!r}"


def _binds(target, call: ast.Call, text: str, method: bool = True) -> str | None:
    """Does the call a span shows bind to ``target``'s signature? A function defined in
    a class is shown as a method: ``self`` is implicit."""
    some = any(isinstance(a, ast.Starred | ast.Constant) and a.value is ... for a in call.args)
    if some or any(isinstance(a, ast.Starred) for a in call.args) or not callable(target):
        return None
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    keywords = [k.arg for k in call.keywords if k.arg]
    is_method = method and inspect.isfunction(target) and "." in target.__qualname__
    positional = [None] * (len(call.args) + is_method)
    try:
        signature.bind(*positional, **dict.fromkeys(keywords))
    except TypeError as exc:
        if hasattr(target, "__wrapped__"):
            return None  # the SDK's layer for old guides' calls answers this call
        return f"{text!r} does not match {signature}: {exc}"
    # A signature listing (`promote(model_name, version)`) names the parameters; a call
    # with one variable (`ExperimentManager(registry)`) does not.
    named = [a.id for a in call.args if isinstance(a, ast.Name) and a.id not in VARIABLES]
    unknown = [n for n in named if n not in signature.parameters and n != "self"]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
    if len(named) >= 2 and unknown and not varargs:
        return f"{text!r} names {unknown}, not parameters of {signature}"
    return None


def span_problem(names: Names, text: str) -> str | None:
    """Why ``text`` (an inline code span) does not resolve, or ``None``."""
    if FILE_NAME.fullmatch(text):
        return None  # `hokusai.toml`, `register.py`: files, not Python names
    if text.startswith(("hokusai ", "mlflow server")) or text == "hokusai":
        return _cli_problem(names, text)
    if text.startswith("--"):
        flag = text.split()[0].split("=")[0]
        if flag not in names.flags:
            return f"no hokusai, mlflow server or uvicorn option {flag}"
        value = text.split(maxsplit=1)[1] if " " in text else ""
        return _python_problem(names, value) if re.fullmatch(r"[\w.]+:\w+", value) else None
    if re.fullmatch(r"[\w.]+:\w+", text) and text.startswith("hokusai."):
        return _python_problem(names, text.replace(":", ".", 1))
    for word in ENV_LIKE.findall(PLACEHOLDER.sub(" ", text)):
        if word not in names.upper_case and not text.startswith(f"{word}_"):
            return f"{word} is not an environment variable, setting or error code the code knows"
    if SNAKE.fullmatch(text):
        if text not in names.snake_case and text not in NOT_CODE:
            return f"{text} is not a name in the code (SDK, hokusai's modules or MLflow's API)"
        return None
    return _python_problem(names, text)


def port_problems(text: str) -> list[tuple[int, str]]:
    """(line, problem) for each port in ``text`` that is no default of the code."""
    from hokusai.gateway.settings import GatewaySettings
    from hokusai.local.stack import DEFAULT_PORT

    settings = GatewaySettings.model_fields
    mlflow_port = int(PORT.search(settings["mlflow_url"].default).group(1))
    known = {DEFAULT_PORT, settings["port"].default, mlflow_port, NOTHING_LISTENS}
    found = []
    for match in PORT.finditer(text):
        if int(match.group(1)) not in known:
            line = text.count("\n", 0, match.start()) + 1
            found.append(
                (
                    line,
                    f"port {match.group(1)} is no default of the code (hokusai local up: "
                    f"{DEFAULT_PORT}, the gateway: {settings['port'].default}, its MLflow: "
                    f"{mlflow_port}; {NOTHING_LISTENS} for nothing listening)",
                )
            )
    return found
