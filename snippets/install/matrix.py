"""Print the support matrix from the last `nox -s compat` run's record (compat.json)."""

import json
from pathlib import Path

record = json.loads((Path(__file__).parent / "compat.json").read_text())
print(f"nox -s compat on {record['date']}, commit {record['commit']}, {record['machine']}")
columns = ("python", "mlflow_client", "mlflow_server", "what", "outcome")
rows = [("Python", "MLflow (client)", "MLflow (server)", "what ran", "result")]
rows += [tuple(result[column] for column in columns) for result in record["results"]]
widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
