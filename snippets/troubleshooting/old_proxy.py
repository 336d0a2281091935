"""The seed failure, reproduced: a proxy whose 404s are not MLflow-shaped.

A stand-in for the old registry proxy: a FastAPI app that routes nothing, so every
request gets FastAPI's default answer, 404 with the body {"detail": "Not Found"}.
Plain MLflow can only report that as INTERNAL_ERROR; the Hokusai SDK says what it means.
"""

import socket
import threading
import time

import mlflow
import uvicorn
from fastapi import FastAPI

from hokusai import ModelRegistry
from hokusai.errors import HokusaiError

# A server that answers every path with 404 {"detail": "Not Found"}, on a free port.
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
server = uvicorn.Server(uvicorn.Config(FastAPI(), port=port, log_level="error"))
threading.Thread(target=server.run, daemon=True).start()
while not server.started:
    time.sleep(0.05)
old_proxy = f"http://127.0.0.1:{port}/api/mlflow"  # printed as <old proxy>: its port varies

mlflow.set_tracking_uri(old_proxy)
try:
    mlflow.search_experiments()
except mlflow.exceptions.MlflowException as error:
    print(f"mlflow: {error}".replace(old_proxy, "<old proxy>"))

try:
    ModelRegistry(tracking_uri=old_proxy).list_models()
except HokusaiError as error:
    print(f"hokusai: {type(error).__name__}: {error}".replace(old_proxy, "<old proxy>"))

server.should_exit = True
