#!/usr/bin/env bash
# Stops the ClickHouse server started by start.sh: SIGTERM, then SIGKILL after
# VIGIL_CLICKHOUSE_STOP_TIMEOUT seconds (default 30). Idempotent: not running -> exits 0.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../lib/stop-process.sh
source "$HERE/../lib/stop-process.sh"
stop_process ClickHouse "$CH_PID_FILE" "$CH_STOP_TIMEOUT"
