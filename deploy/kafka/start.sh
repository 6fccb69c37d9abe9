#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft, broker+controller) from Maven Central jars.
# Idempotent: if our broker already runs and answers, says so and exits 0.
# Settings: see lib.sh (VIGIL_KAFKA_PORT, VIGIL_KAFKA_DATA_DIR, VIGIL_KAFKA_HEAP, ...).
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

T0=$SECONDS

if pid="$(running_pid)"; then
  # Ours is running; it may still be starting (e.g. another start.sh is waiting for it).
  deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until broker_probe; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      die "a broker process (pid $pid) exists but does not answer on $KAFKA_BOOTSTRAP; run deploy/kafka/stop.sh first (log: $KAFKA_LOG_FILE)"
    fi
    sleep 0.3
  done
  log "already running (pid $pid) on $KAFKA_BOOTSTRAP"
  exit 0
fi
rm -f "$KAFKA_PID_FILE"

for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  if port_in_use "$p"; then
    die "port $KAFKA_HOST:$p is already in use by another process (not ours: no live pid file in $KAFKA_DATA_DIR); stop it or set VIGIL_KAFKA_PORT / VIGIL_KAFKA_CONTROLLER_PORT"
  fi
done

check_java
ensure_jars
mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIRS"

# --- configuration (rewritten on every start; the data in log.dirs is kept) -------------
cat >"$KAFKA_CONFIG" <<EOF
# Written by deploy/kafka/start.sh; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_LOG_DIRS
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
EOF

cat >"$KAFKA_LOG4J" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by deploy/kafka/start.sh. The broker's stdout/stderr go to kafka.log. -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="STDOUT"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.controller" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
    <Logger name="org.apache.kafka.controller" level="INFO"/>
    <Logger name="org.apache.kafka.storage.internals.log" level="WARN"/>
  </Loggers>
</Configuration>
EOF
write_tools_log4j

# --- storage format (once per data dir) -----------------------------------------------
if [[ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]]; then
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  log "formatting $KAFKA_LOG_DIRS (cluster id $cluster_id)"
  if ! out="$(run_class kafka.tools.StorageTool format --config "$KAFKA_CONFIG" \
                --cluster-id "$cluster_id" --ignore-formatted 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "kafka-storage format failed"
  fi
fi

# --- start the broker -----------------------------------------------------------------
log "starting Kafka $(kafka_version) on $KAFKA_BOOTSTRAP (controller :$KAFKA_CONTROLLER_PORT, heap $KAFKA_HEAP, log $KAFKA_LOG_FILE)"
if [[ -s "$KAFKA_LOG_FILE" ]]; then mv -f "$KAFKA_LOG_FILE" "$KAFKA_LOG_FILE.1"; fi  # keep the previous run's log
: >"$KAFKA_LOG_FILE"
# setsid: own session, so the broker outlives this script and a Ctrl-C in the caller's shell.
setsid "$JAVA" -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_DATA_DIR" \
  -cp "$KAFKA_LIB_DIR/*" kafka.Kafka "$KAFKA_CONFIG" \
  </dev/null >>"$KAFKA_LOG_FILE" 2>&1 &
pid=$!
echo "$pid" >"$KAFKA_PID_FILE"

# Nothing left half-started: on any failure below, kill the broker we just launched.
cleanup_on_fail() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping the half-started broker (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$KAFKA_PID_FILE"
  fi
}
trap cleanup_on_fail EXIT

deadline=$((SECONDS + KAFKA_START_TIMEOUT))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    log "the broker exited during startup; last log lines:"
    tail -n 40 "$KAFKA_LOG_FILE" >&2 || true
    die "Kafka failed to start (log: $KAFKA_LOG_FILE)"
  fi
  if broker_probe; then
    break
  fi
  if ((SECONDS >= deadline)); then
    log "no Metadata answer on $KAFKA_BOOTSTRAP after ${KAFKA_START_TIMEOUT}s; last log lines:"
    tail -n 40 "$KAFKA_LOG_FILE" >&2 || true
    die "Kafka did not become ready within ${KAFKA_START_TIMEOUT}s (VIGIL_KAFKA_START_TIMEOUT)"
  fi
  sleep 0.3
done
trap - EXIT
log "ready: Kafka $(kafka_version) pid $pid on $KAFKA_BOOTSTRAP in $((SECONDS - T0))s"
