"""A local registry for development: ``mlflow server`` plus the gateway, one command.

Used by ``hokusai local up`` and by the test suite's session fixture, so the tests
exercise exactly what developers run.
"""

from hokusai.local.mlflow_server import MlflowServer, free_port, wait_for_health
from hokusai.local.stack import DataDir, exports, run_local_stack

__all__ = ["DataDir", "MlflowServer", "exports", "free_port", "run_local_stack", "wait_for_health"]
