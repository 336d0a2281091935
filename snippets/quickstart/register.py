"""Quickstart: train a tiny lead-scoring model, log it to MLflow, register it for a token."""

import mlflow
from sklearn.linear_model import LogisticRegression

from hokusai import ModelRegistry

# --8<-- [start:train]
# Four leads, one feature (engagement score), converted or not.
X = [[0.1], [0.4], [0.6], [0.9]]
y = [0, 0, 1, 1]
model = LogisticRegression().fit(X, y)

mlflow.set_experiment("quickstart")
with mlflow.start_run(run_name="lead-scorer"):
    model_info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
# --8<-- [end:train]

# --8<-- [start:register]
registry = ModelRegistry()  # reads MLFLOW_TRACKING_URI and HOKUSAI_API_KEY
result = registry.register_tokenized_model(
    model_uri=model_info.model_uri,
    model_name="quickstart-lead-scorer",
    token_id="LSCOR",
    metric_name="accuracy",
    baseline_value=0.85,
)
print(f"Registered {result.name} version {result.version}")
print(f"token: {result.token_id}, {result.metric_name} baseline: {result.baseline_value}")
print(f"load it with: mlflow.pyfunc.load_model({result.model_uri!r})")
# --8<-- [end:register]
