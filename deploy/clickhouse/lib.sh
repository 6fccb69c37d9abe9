# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this
# Shared settings and helpers for deploy/clickhouse/*.sh. Source it; do not run it.
#
# Environment (all optional):
#   VIGIL_CLICKHOUSE_HTTP_PORT      HTTP interface                 default 8123
#   VIGIL_CLICKHOUSE_TCP_PORT       native protocol                default 9000
#   VIGIL_CLICKHOUSE_DATA_DIR       config, data, logs, pid        default deploy/.run/clickhouse
#   VIGIL_CLICKHOUSE_START_TIMEOUT  seconds to wait for /ping      default 60
#   VIGIL_CLICKHOUSE_STOP_TIMEOUT   seconds before SIGKILL         default 30

CH_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$CH_SCRIPT_DIR")"

CH_HOST="127.0.0.1"
CH_HTTP_PORT="${VIGIL_CLICKHOUSE_HTTP_PORT:-8123}"
CH_TCP_PORT="${VIGIL_CLICKHOUSE_TCP_PORT:-9000}"
CH_DIR="$(realpath -m "${VIGIL_CLICKHOUSE_DATA_DIR:-$DEPLOY_DIR/.run/clickhouse}")"
CH_START_TIMEOUT="${VIGIL_CLICKHOUSE_START_TIMEOUT:-60}"
CH_STOP_TIMEOUT="${VIGIL_CLICKHOUSE_STOP_TIMEOUT:-30}"

CH_CONFIG="$CH_DIR/config.xml"
CH_USERS="$CH_DIR/users.xml"
CH_DATA="$CH_DIR/data"
CH_LOG_DIR="$CH_DIR/log"
CH_PID_FILE="$CH_DIR/clickhouse.pid"
CH_STDOUT="$CH_LOG_DIR/stdout.log"
CH_URL="http://$CH_HOST:$CH_HTTP_PORT"

log() { printf '[clickhouse] %s\n' "$*" >&2; }
die() { printf '[clickhouse] ERROR: %s\n' "$*" >&2; exit 1; }

ch_server_bin() { command -v clickhouse-server 2>/dev/null || { [[ -x /usr/sbin/clickhouse-server ]] && echo /usr/sbin/clickhouse-server; }; }

# Prints the pid if our server runs (pid file points at a live clickhouse process).
running_pid() {
  [[ -f "$CH_PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$CH_PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'clickhouse' || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/$CH_HOST/$1") 2>/dev/null; }

ping_ok() { [[ "$(curl -s --max-time 2 "$CH_URL/ping" 2>/dev/null)" == "Ok." ]]; }
