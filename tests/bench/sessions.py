"""A UI session check beside a key check: the whole credential step of each, per request.

Both run what the rules run for one request, on the same SQLite store holding
``count`` keys and ``count`` sessions: `ApiKeyCredentials.authenticate` (find the key
in the headers, hash it, look it up, check it) and `SessionAuthenticator.authenticate`
(find the cookie, hash the token, look up the session and its key in one query, check
both). Goal: a session costs no more than a key, and both at most 50 µs.

    python -m tests.bench.sessions        # prints the figures (a few seconds)
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from hokusai.gateway.credentials import ApiKeyCredentials
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.sessions import SessionAuthenticator, SessionStore

SESSION_GOAL_US = 50.0


def _p50(timings: list[float]) -> float:
    return sorted(timings)[len(timings) // 2] * 1e6


def session_vs_key(workdir: Path, count: int = 1000, calls: int = 10_000) -> dict[str, float]:
    """p50 µs of one key check and one session check, interleaved, and their ratio."""
    store = KeyStore(f"sqlite:///{workdir / 'session-bench.db'}")
    sessions = SessionStore(store, 8 * 3600)
    pairs = []
    for i in range(count):
        key, secret = store.create(f"bench-{i}", ("read",))
        token, _ = sessions.create(key)
        pairs.append(
            ([(b"x-api-key", secret.encode())], [(b"cookie", f"hokusai_session={token}".encode())])
        )
    by_key, by_session = ApiKeyCredentials(store, True), SessionAuthenticator(sessions)
    chosen = [random.choice(pairs) for _ in range(calls)]

    def timed(authenticator, headers) -> float:
        started = time.perf_counter()
        coroutine = authenticator.authenticate(headers, "")
        try:
            coroutine.send(None)  # SQLite: answered without suspending
        except StopIteration as done:
            if done.value is None:
                raise RuntimeError("the credential was not found") from None
        return time.perf_counter() - started

    for key_headers, cookie_headers in chosen[:200]:  # warm-up: caches, connections
        timed(by_key, key_headers), timed(by_session, cookie_headers)
    keys, cookies = [], []
    for key_headers, cookie_headers in chosen:
        keys.append(timed(by_key, key_headers))
        cookies.append(timed(by_session, cookie_headers))
    store.close()
    key_us, session_us = _p50(keys), _p50(cookies)
    return {
        "count": count,
        "calls": calls,
        "key_p50_us": key_us,
        "session_p50_us": session_us,
        "ratio": session_us / key_us,
    }


def describe(figures: dict[str, float]) -> str:
    return (
        f"credential check, p50 over {figures['calls']} calls ({figures['count']} keys and "
        f"sessions, SQLite): API key {figures['key_p50_us']:.1f} µs, session "
        f"{figures['session_p50_us']:.1f} µs, ratio {figures['ratio']:.2f}x "
        f"(goal: ≤ {SESSION_GOAL_US:g} µs)"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(describe(session_vs_key(Path(tmp))))
