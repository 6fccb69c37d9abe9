#!/usr/bin/env bash
# Topic admin against the local broker (org.apache.kafka.tools.TopicCommand).
#   topics.sh NAME [PARTITIONS]   create NAME if it does not exist (default 1 partition, RF 1)
#   topics.sh --list              list topics
#   topics.sh --describe [NAME]   describe one or all topics
#   topics.sh --delete NAME       delete a topic
# Broker address: VIGIL_KAFKA_HOST / VIGIL_KAFKA_PORT (default 127.0.0.1:9092).
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

usage() { sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
TC=(org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP")

case "$1" in
  -h|--help) usage ;;
  --list) run_class "${TC[@]}" --list ;;
  --describe)
    if [[ $# -ge 2 ]]; then run_class "${TC[@]}" --describe --topic "$2"; else run_class "${TC[@]}" --describe; fi ;;
  --delete)
    [[ $# -eq 2 ]] || usage
    run_class "${TC[@]}" --delete --topic "$2"
    log "deleted topic $2" ;;
  -*) usage ;;
  *)
    name="$1" parts="${2:-1}"
    [[ "$parts" =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive integer, got '$parts'"
    run_class "${TC[@]}" --create --if-not-exists --topic "$name" \
      --partitions "$parts" --replication-factor 1 >&2
    log "topic $name ready ($parts partition(s) requested)" ;;
esac
