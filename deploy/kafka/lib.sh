# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this
# Shared settings and helpers for deploy/kafka/*.sh. Source it; do not run it.
#
# Environment (all optional):
#   VIGIL_KAFKA_PORT             broker (PLAINTEXT) port          default 9092
#   VIGIL_KAFKA_CONTROLLER_PORT  KRaft controller port            default 9093
#   VIGIL_KAFKA_HOST             listen/advertised host           default 127.0.0.1
#   VIGIL_KAFKA_DATA_DIR         log.dirs, config, pid, log       default deploy/.run/kafka/data
#   VIGIL_KAFKA_LIB_DIR          jar cache (from pom.xml)         default deploy/.run/kafka/lib
#   VIGIL_KAFKA_HEAP             broker heap (-Xms/-Xmx)          default 512m
#   VIGIL_KAFKA_START_TIMEOUT    seconds to wait for the broker   default 120
#   VIGIL_KAFKA_STOP_TIMEOUT     seconds before SIGKILL on stop   default 30
#   JAVA_HOME                    Java 17+ (default: java on PATH)

KAFKA_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$KAFKA_SCRIPT_DIR")"
KAFKA_RUN_DIR="$DEPLOY_DIR/.run/kafka"

KAFKA_HOST="${VIGIL_KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${VIGIL_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${VIGIL_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="$(realpath -m "${VIGIL_KAFKA_DATA_DIR:-$KAFKA_RUN_DIR/data}")"
KAFKA_LIB_DIR="$(realpath -m "${VIGIL_KAFKA_LIB_DIR:-$KAFKA_RUN_DIR/lib}")"
KAFKA_HEAP="${VIGIL_KAFKA_HEAP:-512m}"
KAFKA_START_TIMEOUT="${VIGIL_KAFKA_START_TIMEOUT:-120}"
KAFKA_STOP_TIMEOUT="${VIGIL_KAFKA_STOP_TIMEOUT:-30}"

KAFKA_LOG_DIRS="$KAFKA_DATA_DIR/kraft-logs"
KAFKA_CONFIG="$KAFKA_DATA_DIR/server.properties"
KAFKA_LOG4J="$KAFKA_DATA_DIR/log4j2.xml"
KAFKA_TOOLS_LOG4J="$KAFKA_DATA_DIR/tools-log4j2.xml"
KAFKA_PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
KAFKA_LOG_FILE="$KAFKA_DATA_DIR/kafka.log"
KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"

if [[ -n "${JAVA_HOME:-}" ]]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="java"; fi

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

check_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (need Java 17+; set JAVA_HOME or apt-get install -y openjdk-17-jre-headless)"
  local v
  v="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 17 ]] || die "Kafka 4.x needs Java 17+, found: $("$JAVA" -version 2>&1 | head -n1)"
}

# Resolves the broker jars from Maven Central into $KAFKA_LIB_DIR once; re-resolves when
# pom.xml changes (a stamp with the pom's checksum sits beside the jars).
ensure_jars() {
  local pom="$KAFKA_SCRIPT_DIR/pom.xml" stamp="$KAFKA_LIB_DIR/.pom.sha256" want
  want="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && compgen -G "$KAFKA_LIB_DIR/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install -y maven) and no jar cache in $KAFKA_LIB_DIR"
  log "resolving Kafka jars from Maven Central into $KAFKA_LIB_DIR (first run only) ..."
  local tmp="$KAFKA_LIB_DIR.tmp.$$" t0=$SECONDS
  rm -rf "$tmp"
  mkdir -p "$(dirname "$KAFKA_LIB_DIR")"
  local mvn_log
  mvn_log="$(dirname "$KAFKA_LIB_DIR")/mvn-resolve.log"
  if ! mvn -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    grep -E 'ERROR|BUILD' "$mvn_log" | tail -n 20 >&2 || true
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (is Maven Central reachable? full log: $mvn_log)"
  fi
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIB_DIR"
  mv "$tmp" "$KAFKA_LIB_DIR"
  log "resolved $(find "$KAFKA_LIB_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - t0))s"
}

kafka_version() {
  local j
  j="$(compgen -G "$KAFKA_LIB_DIR/kafka_2.13-*.jar" | head -n1)"
  j="${j##*/kafka_2.13-}"
  echo "${j%.jar}"
}

write_tools_log4j() {
  mkdir -p "$KAFKA_DATA_DIR"
  cat >"$KAFKA_TOOLS_LOG4J" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="STDERR" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="WARN"><AppenderRef ref="STDERR"/></Root>
  </Loggers>
</Configuration>
EOF
}

# tool_cmd: the java command line (as array TOOL_CMD) for running Kafka CLI main classes.
tool_cmd() {
  check_java
  ensure_jars
  [[ -f "$KAFKA_TOOLS_LOG4J" ]] || write_tools_log4j
  TOOL_CMD=("$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" -cp "$KAFKA_LIB_DIR/*")
}

# run_class MAIN_CLASS [ARGS...]: runs a Kafka main class (CLI tool) with the cached jars.
run_class() {
  tool_cmd
  "${TOOL_CMD[@]}" "$@"
}

# Prints the broker pid if our broker runs (pid file points at a live kafka.Kafka JVM).
running_pid() {
  [[ -f "$KAFKA_PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$KAFKA_PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_in_use() { # port_in_use PORT
  (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") 2>/dev/null
}

# Readiness probe without a JVM (~10 ms instead of 1-10 s for a Kafka CLI tool): sends a raw
# Metadata v4 request (all topics) and checks that the reply carries our correlation id and
# lists at least one broker. A KRaft broker enables its client acceptors only once its
# startup has finished (registered and unfenced), and a plain TCP connect is accepted
# earlier, so this is the check that counts.
broker_probe() {
  local out
  # shellcheck disable=SC2016  # $1/$2 expand in the inner bash
  out="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "\x00\x00\x00\x14\x00\x03\x00\x04\x00\x00\x00\x02\x00\x05probe\xff\xff\xff\xff\x00" >&3
    head -c 16 <&3 | od -An -tx1' _ "$KAFKA_HOST" "$KAFKA_PORT" 2>/dev/null)" || return 1
  # bytes 0..3 length, 4..7 correlation id (2), 8..11 throttle ms, 12..15 broker count
  local -a b
  read -r -a b <<<"$out"
  [[ ${#b[@]} -eq 16 && "${b[*]:4:4}" == "00 00 00 02" ]] || return 1
  (( 16#${b[12]}${b[13]}${b[14]}${b[15]} >= 1 ))
}
