#!/usr/bin/env bash
# Starts or stops vigil's backing services on this machine (no Docker needed).
#   deploy/services.sh up   [kafka] [clickhouse] [redis]   default: all three
#   deploy/services.sh down [kafka] [clickhouse] [redis]   default: all three
#   deploy/services.sh status
# `up` starts them in order and stops at the first failure (non-zero exit); the services that
# were started by this call before it are stopped again, so nothing is left half-up.
# Each service's own settings: deploy/README.md (VIGIL_KAFKA_PORT, VIGIL_CLICKHOUSE_HTTP_PORT, ...).
set -euo pipefail
SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
action="$1"; shift
ALL=(redis clickhouse kafka)
services=("$@")
[[ ${#services[@]} -gt 0 ]] || services=("${ALL[@]}")
for s in "${services[@]}"; do
  case "$s" in kafka|clickhouse|redis) ;; *) echo "[services] unknown service '$s' (kafka, clickhouse, redis)" >&2; exit 2 ;; esac
done

# Is SERVICE up (answering)? Quiet; used by status and to know what `up` newly started.
is_up() {
  case "$1" in
    kafka) ( source "$SERVICES_DIR/kafka/lib.sh"; broker_probe ) ;;
    clickhouse) ( source "$SERVICES_DIR/clickhouse/lib.sh"; ping_ok ) ;;
    redis) ( source "$SERVICES_DIR/redis/lib.sh"; redis_ping ) ;;
  esac
}

case "$action" in
  up)
    T0=$SECONDS
    started=()
    for s in "${services[@]}"; do
      # A service already answering on its port is used as it is, whoever started it (another
      # checkout's scripts, a system service): the tests need the protocol, not our process.
      if is_up "$s"; then echo "[services] $s already answering; using it" >&2; continue; fi
      if ! "$SERVICES_DIR/$s/start.sh"; then
        echo "[services] $s failed to start" >&2
        for ((i = ${#started[@]} - 1; i >= 0; i--)); do
          "$SERVICES_DIR/${started[i]}/stop.sh" || true
        done
        exit 1
      fi
      started+=("$s")
    done
    echo "[services] up: ${services[*]} ($((SECONDS - T0))s)" >&2
    ;;
  down)
    rc=0
    for s in "${services[@]}"; do "$SERVICES_DIR/$s/stop.sh" || rc=1; done
    exit $rc
    ;;
  status)
    rc=0
    for s in "${services[@]}"; do
      if is_up "$s"; then echo "$s: up"; else echo "$s: down"; rc=1; fi
    done
    exit $rc
    ;;
  *) usage ;;
esac
