# shellcheck shell=bash
# apt_install LOG_FILE PACKAGE...: non-interactive `apt-get update` + `apt-get install` as root,
# output to LOG_FILE (its tail is printed on failure). While it runs, a temporary
# /usr/sbin/policy-rc.d (exit 101) keeps package postinst scripts from starting system-wide
# services on the default ports (we start our own, with our own config). Returns apt's code.
# vigil's own installs (ClickHouse, the Python bench deps) are serialised on one flock, since two
# at once fail on apt's list lock and would race on the policy file; a lock held by a process of
# someone else (unattended-upgrades at boot) is waited out: 6 tries of `update`, 30 s apart.
APT_LOCK_FILE=${APT_LOCK_FILE:-/run/lock/vigil-apt.lock}
apt_install() {
  local log_file="$1"; shift
  if [[ $(id -u) -ne 0 ]]; then
    printf 'apt_install: need root to install %s\n' "$*" >&2
    return 1
  fi
  command -v apt-get >/dev/null 2>&1 || { printf 'apt_install: no apt-get on this system; install %s yourself\n' "$*" >&2; return 1; }
  mkdir -p "$(dirname "$log_file")" "$(dirname "$APT_LOCK_FILE")"
  local policy=/usr/sbin/policy-rc.d made="" rc=0
  (
    flock -w 900 9 || { echo "apt_install: waited 900 s for $APT_LOCK_FILE"; exit 1; }
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1
    fi
    # remove the policy file even if this subshell is interrupted
    if [[ -n "$made" ]]; then trap 'rm -f "$policy"' EXIT INT TERM; fi
    local attempt
    for attempt in 1 2 3 4 5 6; do
      # DPkg::Lock::Timeout covers dpkg's lock, not the list lock `update` takes: retry that one.
      if apt-get -o DPkg::Lock::Timeout=120 update; then break; fi
      [[ $attempt -lt 6 ]] || exit 100
      echo "apt_install: apt-get update failed (attempt $attempt); retrying in 30 s"
      sleep 30
    done
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
      --no-install-recommends "$@"
  ) 9>"$APT_LOCK_FILE" >"$log_file" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    tail -n 20 "$log_file" >&2
    printf 'apt_install: apt-get install %s failed (rc %s; full output: %s)\n' "$*" "$rc" "$log_file" >&2
  fi
  return "$rc"
}
