"""mkdocs hook: reference sections generated from the code, so they cannot drift.

A page asks for one with an HTML comment on a line of its own:

* ``<!-- generated: cli -->`` — every ``hokusai`` command, from the click objects;
* ``<!-- generated: environment -->`` — every environment variable, from
  :mod:`hokusai.config`, the gateway settings module and the CLI options;
* ``<!-- generated: metrics -->`` — every metric the gateway exports, with its labels
  and their values, from :data:`hokusai.gateway.metrics.METRICS`;
* ``<!-- generated: old-guide -->`` — the old guide's call shapes and what each does now
  (:mod:`old_guide`, next to this file).
"""

from __future__ import annotations

import inspect
import re

import click
from old_guide import old_guide_table  # mkdocs puts this folder on sys.path while loading hooks

GENERATED = re.compile(r"^<!--\s*generated:\s*(?P<name>[\w-]+)\s*-->[ \t]*$", re.M)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _commands(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _commands(command.commands[name], [*path, name])


def _option_row(param: click.Option, context: click.Context, command: str) -> str:
    """One option: its flags, the help ``--help`` prints, its default and variable."""
    param.get_help_record(context)  # some options fill in their help lazily
    setting = getattr(param, "setting", None)  # gateway flags: a settings field's
    description, envvar, value = setting or (param.help, param.envvar, None)
    if not description:
        raise ValueError(f"`{command} {param.opts[0]}` has no help text: give it help=...")
    if setting is None:
        value = param.get_default(context, call=False)
    unset = value is getattr(click.core, "UNSET", None) or value in (None, False, ())
    default = "" if unset or callable(value) else f"`{value}`"
    envvar = f"`{envvar}`" if envvar else ""
    return f"| `{', '.join(param.opts)}` | {_cell(description)} | {default} | {envvar} |"


def cli_reference() -> str:
    from hokusai.cli import main

    parts = []
    for path, command in _commands(main, ["hokusai"]):
        name = " ".join(path)
        context = click.Context(command, info_name=name)
        level = "#" * min(len(path) + 1, 4)
        pieces = command.collect_usage_pieces(context)
        parts.append(f"{level} `{name}`\n\n`{name} {' '.join(pieces)}`\n")
        if command.help:  # click keeps the docstring's indentation: Markdown would make code of it
            parts.append(inspect.cleandoc(command.help).replace("\b\n", "") + "\n")
        rows = [
            _option_row(param, context, name)
            for param in command.get_params(context)
            if isinstance(param, click.Option) and not param.hidden and param.expose_value
        ]  # --help/--version are eager and expose nothing
        if rows:
            parts.append("| Option | Description | Default | Environment |\n|---|---|---|---|")
            parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def environment_reference() -> str:
    from hokusai._retries import BOUNDED_RETRIES
    from hokusai.config import SDK_ENVIRONMENT_VARIABLES
    from hokusai.gateway.settings import GatewaySettings

    rows = ["| Variable | Used by | Description | Default |", "|---|---|---|---|"]
    for variable in SDK_ENVIRONMENT_VARIABLES:
        rows.append(
            f"| `{variable.name}` | SDK, CLI, MLflow plugin | {_cell(variable.description)} | "
            f"{f'`{variable.default}`' if variable.default else ''} |"
        )
    prefix = GatewaySettings.model_config.get("env_prefix", "")
    for name, field in GatewaySettings.model_fields.items():
        rows.append(
            f"| `{(prefix + name).upper()}` | gateway | {_cell(field.description or '')} | "
            f"`{field.default}` |"
        )
    from hokusai.cli import main

    options: dict[str, tuple[list[str], click.Option]] = {}
    for path, command in _commands(main, ["hokusai"]):
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(param.envvar, str):
                options.setdefault(param.envvar, ([], param))[0].append(" ".join(path))
    for envvar, (commands, param) in sorted(options.items()):
        value = param.get_default(click.Context(click.Command("x")), call=False)
        used_by = ", ".join(f"`{command}`" for command in commands)
        rows.append(
            f"| `{envvar}` | {used_by} | {_cell(param.help or '')} (`{param.opts[0]}`) | "
            f"{f'`{value}`' if value not in (None, '') else ''} |"
        )
    for name, value in BOUNDED_RETRIES.items():
        rows.append(
            f"| `{name}` | SDK (MLflow client) | MLflow's own setting; unless you set it, the "
            f"SDK's requests (and plain `mlflow` requests carrying a Hokusai key) use this "
            f"value. | `{value}` |"
        )
    return "\n".join(rows) + "\n"


def metrics_reference() -> str:
    from hokusai.gateway.metrics import METRICS

    parts = []
    for metric in METRICS:
        parts.append(f"### `{metric.name}`\n\n*{metric.kind}* — {metric.help}\n")
        rows = ["| Label | Values |", "|---|---|"]
        for label, values in metric.labels.items():
            if isinstance(values, dict):
                values = "<br>".join(f"`{value}`: {meaning}" for value, meaning in values.items())
            rows.append(f"| `{label}` | {_cell(values)} |")
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


SECTIONS = {
    "cli": cli_reference,
    "environment": environment_reference,
    "metrics": metrics_reference,
    "old-guide": old_guide_table,
}


def on_page_markdown(markdown: str, page, config, files) -> str:
    def generate(match: re.Match) -> str:
        name = match.group("name")
        if name not in SECTIONS:
            raise ValueError(f"{page.file.src_path}: unknown generated section {name!r}")
        return SECTIONS[name]()

    return GENERATED.sub(generate, markdown)
