#!/usr/bin/env bash
# Stops the ClickHouse server started by start.sh: SIGTERM, then SIGKILL after
# VIGIL_CLICKHOUSE_STOP_TIMEOUT seconds (default 30). Idempotent: not running -> exits 0.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

if ! pid="$(running_pid)"; then
  rm -f "$CH_PID_FILE"
  log "not running"
  exit 0
fi

T0=$SECONDS
log "stopping ClickHouse (pid $pid) ..."
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + CH_STOP_TIMEOUT))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    log "still running after ${CH_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    break
  fi
  sleep 0.2
done
if kill -0 "$pid" 2>/dev/null; then
  die "could not stop pid $pid"
fi
rm -f "$CH_PID_FILE"
log "stopped in $((SECONDS - T0))s"
