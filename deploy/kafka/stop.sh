#!/usr/bin/env bash
# Stops the broker started by start.sh: SIGTERM (controlled shutdown), then SIGKILL after
# VIGIL_KAFKA_STOP_TIMEOUT seconds (default 30). Idempotent: not running -> exits 0.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../lib/stop-process.sh
source "$HERE/../lib/stop-process.sh"
stop_process Kafka "$KAFKA_PID_FILE" "$KAFKA_STOP_TIMEOUT"
