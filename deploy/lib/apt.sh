# shellcheck shell=bash
# apt_install LOG_FILE PACKAGE...: non-interactive `apt-get update` + `apt-get install` as root,
# output to LOG_FILE (its tail is printed on failure). While it runs, a temporary
# /usr/sbin/policy-rc.d (exit 101) keeps package postinst scripts from starting system-wide
# services on the default ports (we start our own, with our own config). Returns apt's code.
apt_install() {
  local log_file="$1"; shift
  if [[ $(id -u) -ne 0 ]]; then
    printf 'apt_install: need root to install %s\n' "$*" >&2
    return 1
  fi
  command -v apt-get >/dev/null 2>&1 || { printf 'apt_install: no apt-get on this system; install %s yourself\n' "$*" >&2; return 1; }
  mkdir -p "$(dirname "$log_file")"
  local policy=/usr/sbin/policy-rc.d made="" rc=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1
  fi
  (
    # remove the policy file even if this subshell is interrupted
    if [[ -n "$made" ]]; then trap 'rm -f "$policy"' EXIT INT TERM; fi
    apt-get -o DPkg::Lock::Timeout=120 update &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y \
        --no-install-recommends "$@"
  ) >"$log_file" 2>&1 || rc=$?
  if [[ -n "$made" ]]; then rm -f "$policy"; fi
  if [[ $rc -ne 0 ]]; then
    tail -n 20 "$log_file" >&2
    printf 'apt_install: apt-get install %s failed (rc %s; full output: %s)\n' "$*" "$rc" "$log_file" >&2
  fi
  return "$rc"
}
