"""ASGI apps under uvicorn on a free loopback port, each in a thread of its own.

Tests then talk to them with plain blocking HTTP, exactly as a client would, while the
app runs on its own event loop.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Self

import uvicorn

from hokusai.gateway import GatewaySettings, create_app
from hokusai.gateway.keys import KeyStore
from hokusai.local import free_port


class ServerThread:
    """``app`` served by uvicorn on 127.0.0.1 in a daemon thread; ``stop()`` and
    ``start()`` again keep the port (a server restart, as clients see it)."""

    def __init__(self, app: Any, **config: Any) -> None:
        self.app = app
        self.port = free_port()
        self._config = {"log_level": "warning", **config}
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, **self._config)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"{type(self).__name__} did not start on port {self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ThreadedGateway(ServerThread):
    """The real gateway (``create_app``, the proxy mode) in front of ``mlflow_url``, with
    the key store at ``db_url`` (default: a new SQLite file of its own)."""

    def __init__(self, mlflow_url: str, db_url: str | None = None, **overrides: Any) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="hokusai-gateway-")
        self.store = KeyStore(db_url or f"sqlite:///{Path(self._tmp.name) / 'keys.db'}")
        self.settings = GatewaySettings(mlflow_url=mlflow_url, db_url=self.store.url, **overrides)
        super().__init__(create_app(self.settings, self.store), lifespan="on")

    def close(self) -> None:
        super().close()
        self._tmp.cleanup()

    def key(self, *scopes: str, **kwargs: Any) -> tuple[str, str]:
        """A new key with ``scopes`` (default read+write): (key id, secret)."""
        key, secret = self.store.create("test", scopes or ("read", "write"), **kwargs)
        return key.id, secret
