"""Turn the raw measurements into table rows with their goals."""

from __future__ import annotations

from tests.bench.report import Row, fmt
from tests.bench.sessions import SESSION_GOAL_US

ENDPOINTS = {"get": "GET experiments/get", "log-metric": "POST runs/log-metric"}
ADDED_GOAL_MS = {"p50": 1.0, "p99": 2.0}
CPU_GOAL_MS = 1.0
THROUGHPUT_GOAL = 0.95
ARTIFACT_RATE_GOAL = 0.9
ARTIFACT_RSS_GOAL_MIB = 16
VERIFY_GOAL_US = 50.0
REGISTER_GOAL = 1.2


def _get(phase: dict, name: str, field: str) -> float | None:
    return phase.get(name, {}).get(field)


def _added(value: float | None, direct: float | None, goal: float) -> tuple[str, bool | None]:
    """In-process minus direct *of the paired phase* (that direct figure shown too)."""
    if value is None or direct is None:
        return "", None
    added = value - direct
    return f"{added:+.2f} ms (direct {fmt(direct, 'ms')})", added <= goal


def latency_rows(latency: dict, pair: dict | None = None) -> list[Row]:
    """Gateway and nginx against direct from the main phase; in-process against direct
    from the paired phase (its MLflow is another one: see the notes)."""
    rows = []
    for key, phase in latency.items():
        endpoint, clients = key.split("@")
        label = f"{ENDPOINTS[endpoint]}, {clients} client{'s' if clients != '1' else ''}"
        paired = (pair or {}).get(key)
        for q, goal in ADDED_GOAL_MS.items():
            gw, direct = _get(phase, "gateway", f"{q}_ms"), _get(phase, "direct", f"{q}_ms")
            added = gw - direct
            ip, ip_added, ip_met = None, "", None
            if paired is not None:
                ip = _get(paired, "inprocess", f"{q}_ms")
                ip_added, ip_met = _added(ip, _get(paired, "direct", f"{q}_ms"), goal)
            rows.append(
                Row(f"{label}: latency {q}", "ms", gw, direct, _get(phase, "nginx", f"{q}_ms"),
                    f"{added:+.2f} ms", f"≤ +{goal:g} ms", added <= goal, ip, ip_added, ip_met)
            )  # fmt: skip
        cpu = _get(phase, "gateway", "cpu_ms_per_request")
        extra, both, extra_met = None, "", None
        if paired is not None:
            extra = paired["extra_cpu_ms"]
            both = (
                f"MLflow {paired['inprocess']['cpu_ms_per_request']:.2f} vs "
                f"{paired['direct']['cpu_ms_per_request']:.2f} ms"
            )
            extra_met = extra <= CPU_GOAL_MS
        rows.append(
            Row(f"{label}: CPU per request", "ms", cpu, None, _get(phase, "nginx", "cpu_ms_per_request"),
                "", f"≤ {CPU_GOAL_MS:g} ms", cpu is not None and cpu <= CPU_GOAL_MS,
                extra, both, extra_met)
        )  # fmt: skip
    return rows


def throughput_rows(throughput: dict, ceiling: float) -> list[Row]:
    rows = []
    for clients, rates in throughput.items():
        ratio = rates["gateway"] / rates["direct"]
        ip = rates.get("inprocess")
        ip_ratio = ip / rates["direct"] if ip is not None else None
        goal = clients != "1"
        rows.append(
            Row(f"throughput GET experiments/get, {clients} client{'s' if clients != '1' else ''}",
                "req/s", rates["gateway"], rates["direct"], rates.get("nginx"), f"{ratio:.3f}x",
                f"≥ {THROUGHPUT_GOAL}x" if goal else "", ratio >= THROUGHPUT_GOAL if goal else None,
                ip, f"{ip_ratio:.3f}x" if ip_ratio is not None else "",
                ip_ratio >= THROUGHPUT_GOAL if goal and ip_ratio is not None else None)
        )  # fmt: skip
    rows.append(Row("load client ceiling (fixed-answer server), 64 clients", "req/s",
                    None, ceiling, None, "", "", None))  # fmt: skip
    return rows


def _rate(transfers: list[dict], target: str, direction: str) -> float | None:
    """Bytes over seconds summed across rounds, in MB/s."""
    mine = [t for t in transfers if t["target"] == target and t["direction"] == direction]
    if not mine:
        return None
    return sum(t["size"] for t in mine) / sum(t["seconds"] for t in mine) / 1e6


def _cpu(transfers: list[dict], target: str, direction: str) -> float | None:
    """CPU seconds per GiB moved, across rounds."""
    mine = [t for t in transfers if t["target"] == target and t["direction"] == direction]
    if not mine or any(t["cpu_seconds"] is None for t in mine):
        return None
    return sum(t["cpu_seconds"] for t in mine) / (sum(t["size"] for t in mine) / 2**30)


def artifact_rows(transfers: list[dict]) -> list[Row]:
    size_mib = transfers[0]["size"] >> 20
    rows = []
    for direction in ("PUT", "GET"):
        gw, direct = _rate(transfers, "gateway", direction), _rate(transfers, "direct", direction)
        nginx = _rate(transfers, "nginx", direction)
        assert gw is not None and direct is not None
        ratio = gw / direct
        ip = _rate(transfers, "inprocess", direction)
        ip_ratio = ip / direct if ip is not None else None
        rows.append(
            Row(f"artifact {direction} {size_mib} MiB", "MB/s", gw, direct, nginx, f"{ratio:.3f}x",
                f"≥ {ARTIFACT_RATE_GOAL}x", ratio >= ARTIFACT_RATE_GOAL,
                ip, f"{ip_ratio:.3f}x" if ip_ratio is not None else "",
                ip_ratio >= ARTIFACT_RATE_GOAL if ip_ratio is not None else None)
        )  # fmt: skip
        gw_cpu, nginx_cpu = (
            _cpu(transfers, "gateway", direction),
            _cpu(transfers, "nginx", direction),
        )
        rows.append(
            Row(f"artifact {direction}: proxy CPU per GiB", "s", gw_cpu, None, nginx_cpu, "", "", None)
        )  # fmt: skip
        mine = [t for t in transfers if t["target"] == "gateway" and t["direction"] == direction]
        growth = max(t["peak_growth_kib"] for t in mine) / 1024
        rows.append(
            Row(f"artifact {direction} {size_mib} MiB: gateway peak RSS growth", "MiB", growth,
                None, None, "", f"≤ {ARTIFACT_RSS_GOAL_MIB} MiB", growth <= ARTIFACT_RSS_GOAL_MIB)
        )  # fmt: skip
    return rows


DOCTEST_GOAL_SECONDS = 60.0


def build_rows(raw: dict, doctest_seconds: float | None) -> tuple[list[Row], list[str]]:
    rows = latency_rows(raw["latency"], raw.get("inprocess_pair"))
    rows += throughput_rows(raw["throughput"], raw["client_ceiling_64"])
    rows += artifact_rows(raw["artifacts"])
    verify = raw["key_verify"]
    rows.append(
        Row(f"KeyStore.verify() ({verify['keys']} keys, SQLite), p50", "µs", verify["p50_us"],
            None, None, f"hash alone {verify['hash_only_us']:.1f} µs", f"≤ {VERIFY_GOAL_US:g} µs",
            verify["p50_us"] <= VERIFY_GOAL_US)
    )  # fmt: skip
    match = raw.get("route_match")
    if match is not None:
        rows.append(
            Row(f"RouteTable.match() ({match['routes']} routes), mean over the client's calls",
                "µs", match["mean_us"], None, None, f"slowest call {match['max_us']:.1f} µs",
                "", None)
        )  # fmt: skip
    session = raw.get("session_check")
    if session is not None:
        rows.append(
            Row(f"UI session check vs API-key check ({session['count']} each, SQLite), p50", "µs",
                session["session_p50_us"], session["key_p50_us"], None, f"{session['ratio']:.2f}x",
                f"≤ {SESSION_GOAL_US:g} µs", session["session_p50_us"] <= SESSION_GOAL_US)
        )  # fmt: skip
    plugin = raw.get("plugin_overhead")
    if plugin is not None:
        own = plugin["cpu_us"] / 1000
        rows.append(
            Row("app plugin's own CPU per request (around a no-op app, in process)", "ms", None,
                None, None, "", f"≤ {CPU_GOAL_MS:g} ms", None, own,
                f"{plugin['cpu_us_without_access_log'] / 1000:.2f} ms without the access log",
                own <= CPU_GOAL_MS)
        )  # fmt: skip
    reg = raw["register"]
    ratio = reg["sdk_median_s"] / reg["raw_median_s"]
    calls = ""
    if reg.get("sdk_http_calls") is not None and reg.get("raw_http_calls") is not None:
        calls = f" ({reg['sdk_http_calls']:g} vs {reg['raw_http_calls']:g} HTTP calls)"
    rows.append(
        Row(f"register_tokenized_model vs raw MlflowClient (via gateway, median of {reg['repeats']})",
            "ms", reg["sdk_median_s"] * 1000, reg["raw_median_s"] * 1000, None, f"{ratio:.2f}x{calls}",
            f"≤ {REGISTER_GOAL}x", ratio <= REGISTER_GOAL)
    )  # fmt: skip
    if doctest_seconds is None:
        rows.append(Row("nox -s doctest wall time: see nox", "s", None, None, None, "", "", None))
    else:
        rows.append(
            Row(
                "nox -s doctest wall time (venv reused)", "s", doctest_seconds, None, None, "",
                "≤ 60 s", doctest_seconds <= DOCTEST_GOAL_SECONDS,
            )
        )  # fmt: skip
    phases = [*raw["latency"].items()]
    phases += [(f"{key} (paired)", phase) for key, phase in raw.get("inprocess_pair", {}).items()]
    errors = {
        f"{key} via {name}": v["errors"]
        for key, phase in phases
        for name, v in phase.items()
        if isinstance(v, dict) and v["errors"]
    }
    notes = [
        f"Mode: {raw['mode']}. Latency: requests alternate gateway/direct/nginx on keep-alive "
        "connections in one run; CPU per request is the process's utime+stime delta over its "
        "requests. For register_tokenized_model the gateway column is the SDK call and the "
        "direct column the raw MlflowClient calls, both through the gateway."
    ]
    if raw.get("inprocess_pair"):
        notes.append(
            "In-process (app plugin) is a second `mlflow server`, same flags, started with "
            "`--app-name hokusai` and the gateway's key store. Its latency and CPU rows come from "
            "a paired phase in which requests alternate between it and direct MLflow only, so "
            "both MLflows serve the same requests at the same pace: 'in-process vs direct' is "
            "against direct in that phase. It has no process of its own, so its CPU per request "
            "is MLflow's extra CPU over plain MLflow (both MLflows' figures are in the cell next "
            "to it); the plugin's own row measures its code alone, around a no-op ASGI app. "
            "Each paired configuration runs once unmeasured first (direct MLflow was warmed by the "
            "main phase). Throughput and artifact rows take it in turn with the others, as usual."
        )
    if not raw["nginx"]:
        notes.append("nginx: not installed (apt-get install nginx).")
    reconnects = {
        f"{key} via {name}": v.get("reconnects", 0)
        for key, phase in phases
        for name, v in phase.items()
        if isinstance(v, dict) and v.get("reconnects")
    }
    notes.append(
        "At 64 clients MLflow (one worker) is saturated: latency there is queueing in MLflow, "
        "shared by the gateway, direct and nginx paths, so their added figure is mostly noise "
        "of that queue. In the paired phase each MLflow has a queue of its own and the one that "
        "is momentarily slower collects more of the waiting clients, so in-process latency at "
        "64 clients is no measure of its cost (its CPU row is)."
    )
    if reconnects:
        notes.append(
            "Idle keep-alive connections closed by the server and reopened by the client "
            "(counted in the latency): "
            + ", ".join(f"{k}: {v}" for k, v in reconnects.items())
            + "."
        )
    if errors:
        notes.append("Non-2xx answers: " + ", ".join(f"{k}: {v}" for k, v in errors.items()) + ".")
    return rows, notes
