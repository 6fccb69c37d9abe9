#!/usr/bin/env bash
# Starts a local ClickHouse server (Debian's clickhouse-server, installed with apt if absent)
# with its own config under deploy/.run/clickhouse: loopback only, user `default` with an
# empty password. Idempotent: if our server already answers /ping, says so and exits 0.
# Settings: see lib.sh (VIGIL_CLICKHOUSE_HTTP_PORT, VIGIL_CLICKHOUSE_TCP_PORT, ...).
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

T0=$SECONDS

if pid="$(running_pid)"; then
  # Ours is running; it may still be starting (e.g. another start.sh is waiting for it).
  deadline=$((SECONDS + CH_START_TIMEOUT))
  until ping_ok; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      die "a clickhouse process (pid $pid) exists but $CH_URL/ping does not answer; run deploy/clickhouse/stop.sh first (logs: $CH_LOG_DIR)"
    fi
    sleep 0.2
  done
  log "already running (pid $pid) on $CH_URL"
  exit 0
fi
rm -f "$CH_PID_FILE"

for p in "$CH_HTTP_PORT" "$CH_TCP_PORT"; do
  if port_in_use "$p"; then
    die "port $CH_HOST:$p is already in use by another process (not ours: no live pid file in $CH_DIR); stop it (e.g. a system clickhouse-server) or set VIGIL_CLICKHOUSE_HTTP_PORT / VIGIL_CLICKHOUSE_TCP_PORT"
  fi
done

command -v curl >/dev/null 2>&1 || die "curl not found (apt-get install -y curl)"

# --- install (once) ---------------------------------------------------------------------
if [[ -z "$(ch_server_bin)" ]]; then
  [[ $(id -u) -eq 0 ]] || die "clickhouse-server is not installed and this is not root: run 'apt-get install -y clickhouse-server clickhouse-client' as root"
  # shellcheck source=../lib/apt.sh
  source "$DEPLOY_DIR/lib/apt.sh"
  log "installing clickhouse-server from Debian (apt-get update + install) ..."
  t=$SECONDS
  apt_install "$CH_DIR/apt-install.log" clickhouse-server clickhouse-client \
    || die "could not install clickhouse-server"
  log "installed in $((SECONDS - t))s"
fi
CH_BIN="$(ch_server_bin)"
[[ -n "$CH_BIN" ]] || die "clickhouse-server binary not found after install"

# --- configuration (rewritten on every start; data is kept) -----------------------------
mkdir -p "$CH_DATA/tmp" "$CH_DATA/user_files" "$CH_DATA/format_schemas" "$CH_LOG_DIR"

cat >"$CH_CONFIG" <<EOF
<?xml version="1.0"?>
<!-- Written by deploy/clickhouse/start.sh; edits are overwritten on the next start. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$CH_LOG_DIR/clickhouse-server.log</log>
        <errorlog>$CH_LOG_DIR/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$CH_DATA/</path>
    <tmp_path>$CH_DATA/tmp/</tmp_path>
    <user_files_path>$CH_DATA/user_files/</user_files_path>
    <format_schema_path>$CH_DATA/format_schemas/</format_schema_path>
    <users_config>$CH_USERS</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
EOF

cat >"$CH_USERS" <<'EOF'
<?xml version="1.0"?>
<!-- Written by deploy/clickhouse/start.sh. Local development only: empty password, loopback. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF

# --- start ------------------------------------------------------------------------------
log "starting $CH_BIN on $CH_URL (tcp :$CH_TCP_PORT, logs $CH_LOG_DIR)"
: >"$CH_STDOUT"
# Run from the data dir: the server writes a status file and may touch its cwd.
(cd "$CH_DIR" && exec setsid "$CH_BIN" --config-file="$CH_CONFIG" </dev/null >>"$CH_STDOUT" 2>&1) &
pid=$!
echo "$pid" >"$CH_PID_FILE"

cleanup_on_fail() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping the half-started server (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$CH_PID_FILE"
  fi
}
trap cleanup_on_fail EXIT

show_logs() {
  log "last log lines:"
  tail -n 20 "$CH_STDOUT" >&2 2>/dev/null || true
  tail -n 20 "$CH_LOG_DIR/clickhouse-server.err.log" >&2 2>/dev/null || true
}

deadline=$((SECONDS + CH_START_TIMEOUT))
until ping_ok; do
  if ! kill -0 "$pid" 2>/dev/null; then
    show_logs
    die "clickhouse-server exited during startup (logs: $CH_LOG_DIR)"
  fi
  if ((SECONDS >= deadline)); then
    show_logs
    die "no 'Ok.' from $CH_URL/ping within ${CH_START_TIMEOUT}s (VIGIL_CLICKHOUSE_START_TIMEOUT)"
  fi
  sleep 0.2
done
version="$(curl -s --max-time 5 "$CH_URL/?query=SELECT%20version()" || true)"
trap - EXIT
log "ready: ClickHouse ${version:-?} pid $pid on $CH_URL in $((SECONDS - T0))s"
