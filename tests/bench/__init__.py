"""``nox -s bench``: gateway vs direct MLflow vs nginx, run with ``python -m tests.bench.run``.

Not part of the test command: it starts its own servers and takes minutes.
"""
