"""Code written for MLflow 2.x, unchanged: log a model, register it, load it back."""

import mlflow
from sklearn.linear_model import LogisticRegression

X = [[0.1], [0.4], [0.6], [0.9]]
y = [0, 0, 1, 1]
model = LogisticRegression().fit(X, y)

mlflow.set_experiment("mlflow2-code")
with mlflow.start_run():
    mlflow.log_metric("accuracy", model.score(X, y))
    mlflow.sklearn.log_model(
        model, "model", registered_model_name="mlflow2-code", pip_requirements=["scikit-learn"]
    )

loaded = mlflow.sklearn.load_model("models:/mlflow2-code/latest")
print("registered mlflow2-code; it predicts", loaded.predict([[0.2], [0.8]]).tolist())
