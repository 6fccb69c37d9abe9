# shellcheck shell=bash
# stop_process NAME PID_FILE TIMEOUT_S: stops the pid that `running_pid` (from the service's
# lib.sh) reports: SIGTERM, then SIGKILL after TIMEOUT_S seconds; removes the pid file.
# Idempotent: not running -> returns 0. Needs the caller's `log`, `die` and `running_pid`.
stop_process() {
  local name="$1" pid_file="$2" timeout_s="$3" pid T0 deadline
  if ! pid="$(running_pid)"; then
    rm -f "$pid_file"
    log "not running"
    return 0
  fi
  T0=$SECONDS
  log "stopping $name (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout_s))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "still running after ${timeout_s}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      break
    fi
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    die "could not stop pid $pid"
  fi
  rm -f "$pid_file"
  log "stopped in $((SECONDS - T0))s"
}
