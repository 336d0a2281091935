# Prometheus, with the shipped configuration and rules (deploy/prometheus/), scrapes
# the local registry; ten requests with a wrong key make HokusaiAuthFailuresHigh fire.
# In a clone of the repository, with `hokusai local up` running and its exports set:
#   bash snippets/monitoring/auth_alert.sh
set -euo pipefail
DEPLOY=$(cd "$(dirname "$0")/../../deploy/prometheus" && pwd)
GATEWAY=${MLFLOW_TRACKING_URI%/api/mlflow}  # http://127.0.0.1:5000
WORK=$(mktemp -d)

# The shipped configuration, aimed at this gateway, scraping it and evaluating the
# rules every second instead of every 15 s; the shipped rules, with this alert's
# `for: 1m` shortened to 2 s: the run then takes seconds, not minutes.
sed -e "s|127.0.0.1:5000|${GATEWAY#http://}|" \
    -e "s|scrape_interval: 15s|scrape_interval: 1s|" \
    -e "s|evaluation_interval: 15s|evaluation_interval: 1s|" \
    "$DEPLOY/prometheus.yml" > "$WORK/prometheus.yml"
sed -e "/alert: HokusaiAuthFailuresHigh/,/for:/s|for: 1m|for: 2s|" \
    "$DEPLOY/hokusai-rules.yml" > "$WORK/hokusai-rules.yml"
grep -q "for: 2s" "$WORK/hokusai-rules.yml"  # set -e stops here if the rule was not found
PORT=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address="127.0.0.1:$PORT" > "$WORK/prometheus.log" 2>&1 &
PROMETHEUS=$!
trap 'kill $PROMETHEUS; wait $PROMETHEUS; rm -rf "$WORK"' EXIT
API=http://127.0.0.1:$PORT/api/v1

# Wait for the first scrape: the counters need a value from before the requests.
until curl -s -G "$API/query" --data-urlencode 'query=up{job="hokusai-gateway"} == 1' |
        grep -q '"value"'; do
    kill -0 $PROMETHEUS
    sleep 0.2
done
echo "Prometheus scrapes the gateway at ${GATEWAY#http://}"

for _ in $(seq 10); do
    curl -s -o /dev/null -w "%{http_code} " -H "X-API-Key: hk_test_NotAKeyOfThisRegistry00000000000" \
        "$MLFLOW_TRACKING_URI/api/2.0/mlflow/experiments/get?experiment_id=0"
done
echo

# The alert's state, as Prometheus's API reports it, until it fires.
python - "$API" <<'PYTHON'
import json
import sys
import time
import urllib.request

api, state, deadline = sys.argv[1], "inactive", time.monotonic() + 300
while state != "firing":
    if time.monotonic() > deadline:
        sys.exit("HokusaiAuthFailuresHigh did not fire within 5 minutes")
    with urllib.request.urlopen(f"{api}/alerts") as answer:
        alerts = json.load(answer)["data"]["alerts"]
    found = [a for a in alerts if a["labels"]["alertname"] == "HokusaiAuthFailuresHigh"]
    if found and found[0]["state"] != state:
        state = found[0]["state"]
        print(f"HokusaiAuthFailuresHigh: {state}", flush=True)
    time.sleep(0.2)
print("severity:", found[0]["labels"]["severity"])
print("description:", found[0]["annotations"]["description"])
PYTHON
