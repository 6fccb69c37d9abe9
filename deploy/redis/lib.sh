# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this
# Shared settings for deploy/redis/*.sh. Source it; do not run it.
#
# Environment (all optional):
#   VIGIL_REDIS_PORT           port on 127.0.0.1                 default 6379
#   VIGIL_REDIS_DATA_DIR       pid file, log, working dir        default deploy/.run/redis
#   VIGIL_REDIS_START_TIMEOUT  seconds to wait for PONG          default 20

REDIS_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$REDIS_SCRIPT_DIR")"

REDIS_HOST="127.0.0.1"
REDIS_PORT="${VIGIL_REDIS_PORT:-6379}"
REDIS_DIR="$(realpath -m "${VIGIL_REDIS_DATA_DIR:-$DEPLOY_DIR/.run/redis}")"
REDIS_START_TIMEOUT="${VIGIL_REDIS_START_TIMEOUT:-20}"
REDIS_PID_FILE="$REDIS_DIR/redis-$REDIS_PORT.pid"
REDIS_LOG_FILE="$REDIS_DIR/redis-$REDIS_PORT.log"

log() { printf '[redis] %s\n' "$*" >&2; }
die() { printf '[redis] ERROR: %s\n' "$*" >&2; exit 1; }

redis_ping() {
  command -v redis-cli >/dev/null 2>&1 || return 1
  [[ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}

# Prints the pid if a redis-server started by start.sh runs.
running_pid() {
  [[ -f "$REDIS_PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$REDIS_PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'redis-server' || return 1
  echo "$pid"
}
