#!/usr/bin/env bash
# Runs any Kafka main class with the cached broker jars, like Kafka's kafka-run-class.sh.
# Examples:
#   deploy/kafka/run-class.sh org.apache.kafka.tools.ConsoleProducer --bootstrap-server 127.0.0.1:9092 --topic t
#   deploy/kafka/run-class.sh org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server 127.0.0.1:9092 --topic t --from-beginning --max-messages 1
#   deploy/kafka/run-class.sh org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server 127.0.0.1:9092
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
run_class "$@"
