"""Check the ``hokusai`` calls of a block that is not executed against the real API.

A not-tested block (say, one showing the production URL) cannot drift either: it is
parsed, names imported from ``hokusai`` are resolved, instances built from hokusai
classes are followed through simple assignments, and every call is bound with
:func:`inspect.signature` — a phantom module, method or keyword is reported with
its line.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any

_VALUE = object()  # stands in for every argument value


@dataclass
class _Scope:
    objects: dict[str, Any] = field(default_factory=dict)  # name -> hokusai module/class/function
    instances: dict[str, type] = field(default_factory=dict)  # name -> hokusai class
    problems: list[str] = field(default_factory=list)


def _import(module: str, scope: _Scope, line: int) -> Any | None:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        scope.problems.append(f"line {line}: cannot import {module!r}: {exc}")
        return None


def _bind(target: Any, call: ast.Call, what: str, scope: _Scope, receiver: bool) -> None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return  # *args / **kwargs: nothing to bind statically
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    try:
        positional = [_VALUE] * (len(call.args) + receiver)  # + self, for a method on an instance
        signature.bind(*positional, **{k.arg: _VALUE for k in call.keywords})
    except TypeError as exc:
        scope.problems.append(f"line {call.lineno}: {what}{signature}: {exc}")


def _resolve(node: ast.expr, scope: _Scope) -> tuple[Any, str, bool] | None:
    """The hokusai object an expression names, its name for messages, and whether it is
    a plain function reached through an instance (so ``self`` is passed implicitly)."""
    if isinstance(node, ast.Name) and node.id in scope.objects:
        return scope.objects[node.id], node.id, False
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in scope.instances:
            cls = scope.instances[node.value.id]
            if not hasattr(cls, node.attr):
                scope.problems.append(
                    f"line {node.lineno}: {cls.__name__} has no attribute {node.attr!r}"
                )
                return None
            method = inspect.isfunction(inspect.getattr_static(cls, node.attr))
            return getattr(cls, node.attr), f"{cls.__name__}.{node.attr}", method
        owner = _resolve(node.value, scope)
        if owner is not None:
            if not hasattr(owner[0], node.attr):
                scope.problems.append(
                    f"line {node.lineno}: {owner[1]} has no attribute {node.attr!r}"
                )
                return None
            return getattr(owner[0], node.attr), f"{owner[1]}.{node.attr}", False
    return None


class _Checker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.scope = _Scope()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "hokusai":
                module = _import(alias.name, self.scope, node.lineno)
                if module is not None:
                    name = alias.asname or alias.name.split(".")[0]
                    self.scope.objects[name] = (
                        module if alias.asname else _import("hokusai", self.scope, node.lineno)
                    )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.module or node.module.split(".")[0] != "hokusai":
            return
        module = _import(node.module, self.scope, node.lineno)
        for alias in node.names if module is not None else ():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", DeprecationWarning)  # old names count too
                    value = getattr(module, alias.name)
            except AttributeError:
                self.scope.problems.append(
                    f"line {node.lineno}: {node.module} has no name {alias.name!r}"
                )
            except (ImportError, DeprecationWarning) as exc:  # the SDK's shims for old guides
                self.scope.problems.append(f"line {node.lineno}: {exc}")
            else:
                self.scope.objects[alias.asname or alias.name] = value

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        if isinstance(node.value, ast.Call):
            resolved = _resolve(node.value.func, self.scope)
            if resolved and inspect.isclass(resolved[0]):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.scope.instances[target.id] = resolved[0]

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        resolved = _resolve(node.func, self.scope)
        if resolved and callable(resolved[0]):
            _bind(resolved[0], node, resolved[1], self.scope, resolved[2])


def check_block(source: str) -> list[str]:
    """Problems found in ``source`` (empty when every hokusai call binds)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"line {exc.lineno}: not valid Python: {exc.msg}"]
    checker = _Checker()
    checker.visit(tree)
    return checker.scope.problems
