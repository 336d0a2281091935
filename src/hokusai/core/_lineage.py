"""Lineage and alias promotion/rollback behind `ModelRegistry` (internal)."""

from __future__ import annotations

import contextlib
from typing import Any

from hokusai.core import _versions as mv
from hokusai.core.results import LineageEntry, ModelLineage, Promotion, TokenizedModel
from hokusai.errors import PromotionError


def build_lineage(client: Any, model_name: str, default_alias: str) -> ModelLineage:
    """Every version oldest first, with run metrics, aliases and promotion histories."""
    registered = client.get_registered_model(model_name)
    versions = sorted(mv.versions_of(client, model_name), key=lambda v: int(v.version))
    cache: dict[str, dict[str, float]] = {}
    entries = []
    for version in versions:
        model = TokenizedModel.from_model_version(version, registered.aliases)
        entries.append(
            LineageEntry(
                version=model.version,
                run_id=model.run_id,
                created_at=int(version.creation_timestamp or 0),
                role=model.role,
                token_id=model.token_id,
                metric_name=model.metric_name,
                baseline_value=model.baseline_value,
                metrics=mv.run_metrics(client, model.run_id, cache),
                aliases=model.aliases,
            )
        )
    aliases = {alias: str(v) for alias, v in (registered.aliases or {}).items()}
    promotions = {
        alias: tuple(mv.alias_history(registered, alias))
        for alias in sorted({*aliases, default_alias})
        if mv.alias_history(registered, alias)
    }
    return ModelLineage(model_name, tuple(entries), aliases, promotions)


def _current(registered: Any, alias: str) -> str | None:
    current = (registered.aliases or {}).get(alias)
    return str(current) if current is not None else None


def promote(client: Any, model_name: str, version: str, alias: str) -> Promotion:
    """Point ``alias`` at ``version``; append it to the alias's history tag."""
    client.get_model_version(model_name, version)  # ModelNotFoundError if absent
    registered = client.get_registered_model(model_name)
    current = _current(registered, alias)
    history = mv.alias_history(registered, alias)
    if current == version:
        return Promotion(model_name, alias, version, history[-2] if len(history) > 1 else None)
    if current is not None and (not history or history[-1] != current):
        history.append(current)  # moved outside the SDK: remember it for rollback
    client.set_registered_model_alias(model_name, alias, version)
    try:
        mv.save_alias_history(client, model_name, alias, [*history, version])
    except Exception:
        _restore_alias(client, model_name, alias, current)
        raise
    return Promotion(model_name, alias, version, current)


def rollback(client: Any, model_name: str, alias: str) -> Promotion:
    """Move ``alias`` to the version promoted before the current one."""
    registered = client.get_registered_model(model_name)
    current = _current(registered, alias)
    history = mv.alias_history(registered, alias)
    while history and history[-1] == current:
        history.pop()
    if not history:
        raise PromotionError(
            f"Cannot roll back {model_name}@{alias}: there is no earlier promoted "
            f"version (current: {current or 'unset'}). Promote a version with "
            f"registry.promote({model_name!r}, <version>, alias={alias!r})."
        )
    target = history[-1]
    client.set_registered_model_alias(model_name, alias, target)
    try:
        mv.save_alias_history(client, model_name, alias, history)
    except Exception:
        _restore_alias(client, model_name, alias, current)
        raise
    return Promotion(model_name, alias, target, current)


def _restore_alias(client: Any, model_name: str, alias: str, version: str | None) -> None:
    with contextlib.suppress(Exception):
        if version is None:
            client.delete_registered_model_alias(model_name, alias)
        else:
            client.set_registered_model_alias(model_name, alias, version)
