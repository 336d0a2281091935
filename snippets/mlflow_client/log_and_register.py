"""Plain MLflow against the Hokusai registry: log a run and a model, register it.

Needs only MLFLOW_TRACKING_URI and HOKUSAI_API_KEY in the environment; the MLflow
plugin installed with the Hokusai SDK adds the key to every request.
"""

# --8<-- [start:log]
import mlflow
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

X = [[0.1, 1.0], [0.4, 0.0], [0.6, 1.0], [0.9, 0.0]]
y = [0, 0, 1, 1]

mlflow.set_experiment("mlflow-client-docs")
with mlflow.start_run(run_name="logistic") as run:
    model = LogisticRegression(C=10.0).fit(X, y)
    mlflow.log_param("C", 10.0)
    mlflow.log_metric("accuracy", model.score(X, y))
    model_info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
# --8<-- [end:log]

# --8<-- [start:register]
version = mlflow.register_model(model_info.model_uri, "mlflow-client-churn")
MlflowClient().set_registered_model_alias("mlflow-client-churn", "champion", version.version)
print(f"registered {version.name} version {version.version} from run {run.info.run_id}")
# --8<-- [end:register]

# --8<-- [start:load]
loaded = mlflow.sklearn.load_model("models:/mlflow-client-churn@champion")
print("predictions:", loaded.predict([[0.2, 1.0], [0.8, 0.0]]).tolist())
# --8<-- [end:load]
