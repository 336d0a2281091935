"""The results table (markdown), the machine description and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

DASH = "—"


@dataclass(frozen=True)
class Row:
    """One line of the table; numbers are kept raw for the JSON.

    ``ratio`` and ``met`` are the gateway's (against direct), ``inprocess_ratio`` and
    ``inprocess_met`` those of MLflow with the app plugin (``--app-name hokusai``).
    """

    metric: str
    unit: str
    gateway: float | None
    direct: float | None
    nginx: float | None
    ratio: str  # shown as is: "+0.41 ms", "0.97x"
    goal: str
    met: bool | None
    inprocess: float | None = None
    inprocess_ratio: str = ""
    inprocess_met: bool | None = None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return DASH
    if unit in ("ms", "µs", "s") and value < 10:
        return f"{value:.2f} {unit}"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def _met(value: bool | None) -> str:
    return DASH if value is None else ("yes" if value else "**no**")


def markdown(rows: list[Row]) -> str:
    lines = [
        "| metric | gateway | in-process (app plugin) | direct | nginx "
        "| gateway vs direct | in-process vs direct | goal | met? gateway / in-process |",
        "|---|---:|---:|---:|---:|---:|---:|---|:---:|",
    ]
    for r in rows:
        met = _met(r.met)
        if r.inprocess_met is not None:
            met = f"{met} / {_met(r.inprocess_met)}"
        cells = [
            r.metric,
            fmt(r.gateway, r.unit),
            fmt(r.inprocess, r.unit),
            fmt(r.direct, r.unit),
            fmt(r.nginx, r.unit),
            r.ratio or DASH,
            r.inprocess_ratio or DASH,
            r.goal or DASH,
            met,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _nginx_version() -> str:
    try:
        out = subprocess.run(["nginx", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "not installed"
    return out.stderr.strip().removeprefix("nginx version: ")


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "mlflow": _version("mlflow"),
        "uvicorn": _version("uvicorn"),
        "aiohttp": _version("aiohttp"),
        "nginx": _nginx_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def machine_line(info: dict[str, str]) -> str:
    return (
        f"Machine: {info['cpu']}, {info['cores']} cores (load {info['load_at_start']} at start); "
        f"Python {info['python']}, MLflow {info['mlflow']}, uvicorn {info['uvicorn']}, "
        f"aiohttp {info['aiohttp']}, nginx {info['nginx']}; {info['date']}."
    )


def document(rows: list[Row], info: dict[str, str], notes: list[str]) -> str:
    return "\n\n".join([markdown(rows), machine_line(info), *notes]) + "\n"


def write_json(path: Path, rows: list[Row], info: dict[str, str], raw: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": info, "rows": [asdict(r) for r in rows], "raw": raw}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
