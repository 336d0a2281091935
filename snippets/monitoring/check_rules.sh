# The shipped rules and their unit tests, checked with promtool (Debian's prometheus
# package). In a clone of the repository: bash snippets/monitoring/check_rules.sh
set -euo pipefail
cd "$(dirname "$0")/../../deploy/prometheus"
promtool check rules hokusai-rules.yml
promtool test rules hokusai-rules.test.yml
