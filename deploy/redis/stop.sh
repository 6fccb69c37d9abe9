#!/usr/bin/env bash
# Stops a redis-server that deploy/redis/start.sh started (pid file). A Redis it did not start
# (e.g. the machine's own service) is left alone. Idempotent.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

if ! pid="$(running_pid)"; then
  rm -f "$REDIS_PID_FILE"
  if redis_ping; then
    log "a Redis not started by deploy/redis answers on $REDIS_HOST:$REDIS_PORT; leaving it alone"
  else
    log "not running"
  fi
  exit 0
fi
log "stopping redis-server (pid $pid) ..."
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
fi
kill -0 "$pid" 2>/dev/null && die "could not stop pid $pid"
rm -f "$REDIS_PID_FILE"
log "stopped"
