#!/usr/bin/env bash
# Makes sure Redis answers on 127.0.0.1:$VIGIL_REDIS_PORT (default 6379).
# If something already answers PING there (e.g. the machine's own Redis 7), uses it and exits 0.
# Otherwise starts redis-server (installed with apt if missing) daemonized, loopback only,
# no persistence (no RDB, no AOF), pid file + log under deploy/.run/redis.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

T0=$SECONDS
if redis_ping; then
  if pid="$(running_pid)"; then
    log "already running (pid $pid, started by deploy/redis) on $REDIS_HOST:$REDIS_PORT"
  else
    log "already running on $REDIS_HOST:$REDIS_PORT (not started by deploy/redis; using it)"
  fi
  exit 0
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  # shellcheck source=../lib/apt.sh
  source "$DEPLOY_DIR/lib/apt.sh"
  log "installing redis-server from Debian (apt-get update + install) ..."
  t=$SECONDS
  apt_install "$REDIS_DIR/apt-install.log" redis-server redis-tools || die "could not install redis-server"
  log "installed in $((SECONDS - t))s"
  # another Redis might have been started by the package despite policy-rc.d: check again
  if redis_ping; then log "ready on $REDIS_HOST:$REDIS_PORT"; exit 0; fi
fi

if (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null; then
  die "port $REDIS_HOST:$REDIS_PORT is in use but does not answer Redis PING; set VIGIL_REDIS_PORT"
fi

mkdir -p "$REDIS_DIR"
rm -f "$REDIS_PID_FILE"
log "starting redis-server on $REDIS_HOST:$REDIS_PORT (no persistence, log $REDIS_LOG_FILE)"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
  --daemonize yes --pidfile "$REDIS_PID_FILE" --logfile "$REDIS_LOG_FILE" --dir "$REDIS_DIR" \
  --save "" --appendonly no </dev/null >&2 \
  || die "redis-server failed to start (log: $REDIS_LOG_FILE)"

deadline=$((SECONDS + REDIS_START_TIMEOUT))
until redis_ping; do
  if ((SECONDS >= deadline)); then
    tail -n 20 "$REDIS_LOG_FILE" >&2 2>/dev/null || true
    if pid="$(running_pid)"; then kill -TERM "$pid" 2>/dev/null || true; fi
    rm -f "$REDIS_PID_FILE"
    die "redis-server did not answer PING within ${REDIS_START_TIMEOUT}s"
  fi
  sleep 0.1
done
log "ready: pid $(cat "$REDIS_PID_FILE" 2>/dev/null || echo '?') on $REDIS_HOST:$REDIS_PORT in $((SECONDS - T0))s"
