"""``hokusai doctor``: check configuration, network, gateway, key and scopes; say how to fix."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--tracking-uri", help="Check this URL instead of the configured one.")
@click.option("--api-key", help="Check this key instead of the configured one.")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds per network check.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(tracking_uri: str | None, api_key: str | None, timeout: float, as_json: bool) -> None:
    """Diagnose the connection to the registry; exit code 1 if any check fails.

    Checks: package and MLflow versions; where the tracking URI and API key come from
    (argument, environment, config file, default); DNS and TCP connection; the
    gateway's /health; authentication and a read with the key; write permission
    (probed without writing anything).

    Example: hokusai doctor --json
    """
    from hokusai.diagnostics import run_checks

    checks = run_checks(tracking_uri, api_key, timeout)
    failed = [check for check in checks if not check.ok]
    if as_json:
        click.echo(
            json.dumps({"ok": not failed, "checks": [c.to_dict() for c in checks]}, indent=2)
        )
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            click.echo(f"{check.name:<{width}}  {check.status.upper():<4}  {check.detail}")
        if failed:
            click.echo("\nHow to fix:")
            for check in failed:
                click.echo(f"  {check.name}: {check.fix}")
        else:
            click.echo("\nAll checks passed.")
    if failed:
        raise SystemExit(1)
