"""mkdocs hook: the build fails when a public name of ``hokusai`` is not in the API reference.

Public means reachable as ``hokusai.<name>`` or ``hokusai.<module>.<name>``: named in
the ``__all__`` of ``hokusai`` or of one of its modules and packages (``hokusai.core``,
``hokusai.errors``, ``hokusai.gateway``…), except ``hokusai.cli``, whose interface is
the command line (the CLI reference is generated from it). A deeper module's
``__all__`` is its package's business: what the package re-exports is public. For a
public class, its public methods, properties, class attributes and dataclass fields
are public too, its own and those it inherits from ``hokusai`` classes; a pydantic
settings model's fields are documented by the environment-variable reference, which
is generated from them.

Documented means: the built ``reference/api.md`` has the object's anchor, which
mkdocstrings writes for every object it renders (and it renders a member only when it
has a docstring). A missing one fails the build with the page line of the ``:::``
directive that should show it, and the source line of the name.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
PAGE = "reference/api.md"
NOT_PYTHON_API = ("hokusai.cli",)
ANCHOR = re.compile(r'\bid="([^"]+)"')
DIRECTIVE = re.compile(r"^:::\s*(?P<name>[\w.]+)", re.M)


def _declares_all(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "__all__" for t in node.targets)
        for node in tree.body
    )


def _public_modules():
    """``hokusai`` and its modules and packages that declare ``__all__`` (read from the
    source: importing every module would import MLflow's server for nothing)."""
    src = ROOT / "src"
    for path in sorted((src / "hokusai").rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        name = ".".join(parts)
        if len(parts) > 2:
            continue  # hokusai.<package>.<module>: its package says what is public
        if any(p.startswith("_") for p in parts) or name.startswith(NOT_PYTHON_API):
            continue
        if _declares_all(path):
            yield importlib.import_module(name)


def _where(obj) -> str:
    try:
        path = Path(inspect.getsourcefile(obj)).resolve()
        return f"{path.relative_to(ROOT)}:{inspect.getsourcelines(obj)[1]}"
    except (TypeError, OSError, ValueError):
        return "?"


def _field_line(cls, name: str) -> str:
    where = _where(cls)
    try:
        lines, start = inspect.getsourcelines(cls)
    except (TypeError, OSError):
        return where
    for offset, line in enumerate(lines):
        if re.match(rf"\s+{re.escape(name)}\s*[:=]", line):
            return f"{where.rsplit(':', 1)[0]}:{start + offset}"
    return where


def _members(cls) -> dict[str, str]:
    """Public names of a class, its own and those it inherits from ``hokusai`` classes
    (mkdocstrings renders both: ``inherited_members`` in mkdocs.yml): name → source line."""
    if hasattr(cls, "model_fields"):  # pydantic settings: the environment reference has them
        return {}
    found: dict[str, str] = {}
    for owner in reversed([c for c in cls.__mro__ if c.__module__.startswith("hokusai")]):
        names = set(vars(owner).get("__annotations__", {}))
        if dataclasses.is_dataclass(owner):
            names |= {f.name for f in dataclasses.fields(owner)}
        for name, value in vars(owner).items():
            if inspect.isfunction(value) or isinstance(
                value, property | classmethod | staticmethod
            ):
                names.add(name)
        found |= {name: _field_line(owner, name) for name in names if not name.startswith("_")}
    return found


@functools.cache
def public_api() -> dict[str, str]:
    """Anchor id → source line, for every public name and member."""
    found: dict[str, str] = {}
    for module in _public_modules():
        for name in module.__all__:
            obj = getattr(module, name)
            if name.startswith("__") or inspect.ismodule(obj):
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                if not obj.__module__.startswith("hokusai"):
                    continue
                anchor = f"{obj.__module__}.{obj.__qualname__}"
                found[anchor] = _where(obj)
                if inspect.isclass(obj):
                    for member, line in _members(obj).items():
                        found[f"{anchor}.{member}"] = line
            else:
                found.setdefault(f"{module.__name__}.{name}", f"{module.__name__} ({name})")
    return found


def missing(html: str, page_source: str) -> list[str]:
    """``page:line: name (source): why`` for each public name the built page lacks."""
    anchors = set(ANCHOR.findall(html))
    directives = [
        (m["name"], page_source.count("\n", 0, m.start()) + 1)
        for m in DIRECTIVE.finditer(page_source)
    ]
    problems = []
    for anchor, source in sorted(public_api().items()):
        if anchor in anchors:
            continue
        owners = [(n, line) for n, line in directives if anchor.startswith(n + ".") or anchor == n]
        line = max(owners, key=lambda owner: len(owner[0]))[1] if owners else 1
        why = "give it a docstring" if owners else "add a `::: …` directive that shows it"
        problems.append(f"docs/{PAGE}:{line}: {anchor} ({source}) is public but not shown: {why}")
    return problems


def on_post_page(output: str, page, config) -> str:
    if page.file.src_uri == PAGE:
        problems = missing(output, Path(page.file.abs_src_path).read_text())
        if problems:
            raise PluginError(
                "the Python API reference does not document every public name:\n"
                + "\n".join(problems)
            )
    return output
