"""What the installed ``mlflow server`` serves, read from MLflow's own apps.

``mlflow server`` runs MLflow's FastAPI app with its Flask app mounted under it. The
routes come from the Flask app's ``url_map`` (werkzeug's rules) and the FastAPI app's
OpenAPI document (FastAPI nests included routers, so ``app.routes`` does not list
them), independently of the gateway's own table (``hokusai.gateway.routes``), which
the tests using this check.
"""

from __future__ import annotations

import functools
import re

# FastAPI's {name} and {name:converter} parameters, in Flask's spelling <name>.
_FASTAPI_PARAMETER = re.compile(r"\{([^}]+)\}")
_NOT_ROUTES = {"HEAD", "OPTIONS"}  # answered for every route by the frameworks themselves


@functools.cache
def served_routes() -> dict[str, frozenset[str]]:
    """Every route template of the installed MLflow (Flask's spelling) and its methods."""
    from mlflow.server import app as flask_app
    from mlflow.server.fastapi_app import app as fastapi_app

    found: dict[str, set[str]] = {}
    for rule in flask_app.url_map.iter_rules():
        found.setdefault(rule.rule, set()).update(set(rule.methods or ()) - _NOT_ROUTES)
    for path, operations in fastapi_app.openapi()["paths"].items():
        template = _FASTAPI_PARAMETER.sub(r"<\1>", path)
        found.setdefault(template, set()).update(m.upper() for m in operations)
    return {path: frozenset(methods - _NOT_ROUTES) for path, methods in found.items()}
