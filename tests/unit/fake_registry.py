"""A tiny local HTTP server standing in for a registry that fails: fixed answers, counted.

The SDK tests drive the real MLflow client against it, to observe what the client sends
(how many attempts, which headers) without an MLflow server.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_uri() -> str:
    """A tracking URI where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/api/mlflow"


class FixedAnswer:
    """Answers every request with one status and JSON body, and counts the requests.

    ``hold`` (a path suffix) makes requests to that path wait until :meth:`release`;
    ``arrived`` is set when the first of them arrives.
    """

    def __init__(self, status: int, body: dict, hold: str | None = None) -> None:
        self.paths: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self.arrived = threading.Event()
        self._released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?")[0]
                outer.paths[path] += 1
                outer.headers.append(dict(self.headers))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if hold and path.endswith(hold):
                    outer.arrived.set()
                    outer._released.wait(60)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_port}/api/mlflow"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self) -> int:
        return sum(self.paths.values())

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FixedAnswer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
