"""``ExperimentManager``: MLflow runs in the Hokusai registry, with the SDK's configuration."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from hokusai._client import RegistryClient
from hokusai._legacy_reads import deprecated
from hokusai.core import validation as check
from hokusai.tracking._compat import OLD_MANAGER_METHODS, manager_arguments, unsupported

DEFAULT_EXPERIMENT = "hokusai"


class ExperimentManager(RegistryClient):
    """Runs of one MLflow experiment in the Hokusai registry.

    Configuration follows the same precedence rule as `ModelRegistry`
    (argument → environment → config file → default). There is no offline or mock
    mode: if the registry cannot be reached, calls raise a `HokusaiError`
    that says why.

    Args:
        experiment_name: the MLflow experiment, created on first use; `None` (the
            default) is the experiment `hokusai`.
        tracking_uri: the registry's MLflow URL (see `hokusai.config`).
        api_key: the API key (see `hokusai.config`).

    Examples:
        >>> from hokusai.tracking import ExperimentManager
        >>> manager = ExperimentManager("lead-scoring", tracking_uri="http://127.0.0.1:5000/api/mlflow")
        >>> manager.experiment_name, manager.tracking_uri
        ('lead-scoring', 'http://127.0.0.1:5000/api/mlflow')
    """

    def __init__(
        self,
        experiment_name: str | None = None,
        tracking_uri: str | None = None,
        api_key: str | None = None,
        **old_keywords: Any,
    ) -> None:
        # Old guides: ExperimentManager(registry), registry=..., mlflow_tracking_uri=...
        experiment_name, tracking_uri, api_key = manager_arguments(
            experiment_name, tracking_uri, api_key, old_keywords
        )
        name = DEFAULT_EXPERIMENT if experiment_name is None else experiment_name
        self.experiment_name = check.check_name(name, "experiment_name")
        super().__init__(tracking_uri, api_key)
        self._experiment_id: str | None = None

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes: name what to do for old-guide calls.
        raise unsupported(type(self).__name__, name, OLD_MANAGER_METHODS)

    def start_experiment(self, experiment_name: str) -> contextlib.AbstractContextManager[Any]:
        """Old guides' ``with manager.start_experiment(name):`` — a run in experiment ``name``.

        Deprecated: use ``ExperimentManager(name).start_run()``.
        """
        check.check_name(experiment_name, "experiment_name")
        deprecated(
            f"manager.start_experiment({experiment_name!r}) is deprecated: use "
            f"ExperimentManager({experiment_name!r}).start_run()."
        )
        other = ExperimentManager(experiment_name, self.tracking_uri, self._api_key_value)
        return other.start_run()

    @property
    def experiment_id(self) -> str:
        """The experiment's id; the experiment is created on first use.

        Examples:
            >>> ExperimentManager("lead-scoring").experiment_id.isdigit()
            True
        """
        if self._experiment_id is None:
            with self.session():
                experiment = self._client.get_experiment_by_name(self.experiment_name)
                if experiment is None:
                    self._experiment_id = self._client.create_experiment(self.experiment_name)
                else:
                    self._experiment_id = experiment.experiment_id
        return self._experiment_id

    @contextlib.contextmanager
    def start_run(
        self, run_name: str | None = None, tags: dict[str, str] | None = None
    ) -> Iterator[Any]:
        """A run in this experiment; plain ``mlflow.log_*`` calls inside log to it.

        Safe to use repeatedly (each ``with`` ends its own run, failed ones as
        ``FAILED``) and inside a user's own ``mlflow.start_run()`` block, where it
        becomes a nested child run instead of failing with "Run … is already active".
        Sets MLflow's tracking URI to this manager's registry.

        Examples:
            >>> manager = ExperimentManager("lead-scoring")
            >>> with manager.start_run(run_name="baseline") as run:
            ...     mlflow.log_metric("accuracy", 0.85)
            >>> run.info.run_name, mlflow.get_run(run.info.run_id).data.metrics
            ('baseline', {'accuracy': 0.85})
        """
        import mlflow

        experiment_id = self.experiment_id
        with self.session():
            mlflow.set_tracking_uri(self.tracking_uri)
            parent = mlflow.active_run()
            run = mlflow.start_run(
                experiment_id=experiment_id,
                run_name=run_name,
                nested=parent is not None,
                tags=check.check_tags(tags) or None,
            )
        status = "FINISHED"
        try:
            with self._connected():
                yield run
        except BaseException:
            status = "FAILED"
            raise
        finally:
            with self.session():
                # End exactly our run, even if the block left a child run active.
                while (active := mlflow.active_run()) is not None and (
                    active.info.run_id != run.info.run_id
                ):
                    mlflow.end_run(status=status)
                mlflow.end_run(status=status)

    def log_metrics(self, run_id: str, metrics: dict[str, float]) -> None:
        """Log numeric metrics to an existing run.

        Examples:
            >>> manager = ExperimentManager("lead-scoring")
            >>> with manager.start_run() as run:
            ...     pass
            >>> manager.log_metrics(run.info.run_id, {"accuracy": 0.91, "f1": 0.88})
            >>> sorted(mlflow.get_run(run.info.run_id).data.metrics.items())
            [('accuracy', 0.91), ('f1', 0.88)]
        """
        values = {
            name: check.check_number(value, f"metrics[{name!r}]") for name, value in metrics.items()
        }
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        with self.session():
            self._client.log_batch(
                run_id, metrics=[Metric(name, value, now, 0) for name, value in values.items()]
            )

    def search_runs(self, max_results: int = 100) -> list[Any]:
        """The experiment's runs, newest first (``mlflow.entities.Run`` objects).

        Examples:
            >>> manager = ExperimentManager("lead-scoring-searched")
            >>> with manager.start_run(run_name="first"):
            ...     mlflow.log_metric("accuracy", 0.85)
            >>> for found in manager.search_runs(max_results=5):
            ...     print(found.info.run_name, found.data.metrics)
            first {'accuracy': 0.85}
        """
        experiment_id = self.experiment_id
        with self.session():
            return list(
                self._client.search_runs(
                    [experiment_id],
                    max_results=max_results,
                    order_by=["attributes.start_time DESC"],
                )
            )
