#!/usr/bin/env bash
# Berth installer.
#
#   ./install.sh --local          set up this checkout and run a control plane plus an
#                                 enrolled local agent on this host, in the background
#   ./install.sh --local --stop   stop what --local started
#
# The functions below are also used by test/run.sh (sourced with BERTH_INSTALL_LIB=1).
set -euo pipefail

PNPM_VERSION="9.15.9"
NODE_MIN_MAJOR=20
REGISTRY_ADDR="127.0.0.1:5000"
TEST_BASE_IMAGE="berth-test/busybox:latest"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() {
  printf '\033[31merror:\033[0m %s\n' "$*" >&2
  exit 1
}

need_root() {
  [[ "$(id -u)" == "0" ]] || die "$1 needs root; run it again with sudo"
}

apt_install() {
  need_root "installing $*"
  say "Installing Debian packages: $*"
  if [[ -z "${BERTH_APT_UPDATED:-}" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed; check the network and /etc/apt/sources.list"
    BERTH_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed"
}

ensure_node() {
  command -v node >/dev/null || die "Node.js ${NODE_MIN_MAJOR} or newer is required; install it from https://nodejs.org or your distribution"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= NODE_MIN_MAJOR)) || die "Node.js ${NODE_MIN_MAJOR} or newer is required; this host has $(node --version)"
}

ensure_pnpm() {
  if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
    say "Installing pnpm ${PNPM_VERSION}"
    npm install -g --silent "pnpm@${PNPM_VERSION}" >/dev/null || die "npm install -g pnpm@${PNPM_VERSION} failed"
    hash -r
  fi
}

docker_answers() { docker info >/dev/null 2>&1; }

# Makes sure a Docker engine answers on the default socket, installing and
# starting Debian's engine when none does.
ensure_docker_engine() {
  docker_answers && return 0
  if ! command -v dockerd >/dev/null; then
    apt_install docker.io
  fi
  if ! docker_answers; then
    need_root "starting the Docker engine"
    say "Starting the Docker engine (log: /var/log/berth-dockerd.log)"
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
      systemctl start docker || true
    fi
    if ! docker_answers; then
      setsid dockerd >>/var/log/berth-dockerd.log 2>&1 </dev/null &
    fi
    for _ in $(seq 1 60); do
      docker_answers && break
      sleep 1
    done
    docker_answers || die "the Docker engine did not start within 60 s; see /var/log/berth-dockerd.log"
  fi
  say "Docker engine $(docker version --format '{{.Server.Version}}') is running"
}

# Imports a busybox image for tests: no public registry is needed.
ensure_test_base_image() {
  if docker image inspect "$TEST_BASE_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  [[ -x /bin/busybox ]] || apt_install busybox-static
  say "Importing ${TEST_BASE_IMAGE} from /bin/busybox"
  local root
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do
    [[ "$applet" == "busybox" ]] || ln -sf busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$TEST_BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

# Starts a registry on 127.0.0.1:5000 unless one already answers there.
ensure_local_registry() {
  local state_dir="$1"
  if curl -fsS "http://${REGISTRY_ADDR}/v2/" >/dev/null 2>&1; then
    return 0
  fi
  command -v docker-registry >/dev/null || apt_install docker-registry
  mkdir -p "$state_dir/registry-data"
  cat >"$state_dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${state_dir}/registry-data
  delete:
    enabled: true
http:
  addr: ${REGISTRY_ADDR}
EOF
  say "Starting a registry on ${REGISTRY_ADDR} (log: ${state_dir}/registry.log)"
  setsid docker-registry serve "$state_dir/registry.yml" >>"$state_dir/registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 30); do
    curl -fsS "http://${REGISTRY_ADDR}/v2/" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "the registry did not answer on ${REGISTRY_ADDR}; see ${state_dir}/registry.log"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- local mode

local_paths() {
  REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  BERTH_HOME="${BERTH_LOCAL_HOME:-$REPO_ROOT/.berth}"
  CP_PORT="${BERTH_PORT:-8080}"
  AGENT_STATUS_PORT="${BERTH_AGENT_STATUS_PORT:-7071}"
  CP_URL="http://127.0.0.1:${CP_PORT}"
  DATA_DIR="$BERTH_HOME/data"
  AGENT_STATE_DIR="$BERTH_HOME/agent"
  LOG_DIR="$BERTH_HOME/logs"
  CP_PID="$BERTH_HOME/control-plane.pid"
  AGENT_PID="$BERTH_HOME/agent.pid"
}

local_stop() {
  local_paths
  local file name
  for file in "$AGENT_PID" "$CP_PID"; do
    name="$(basename "$file" .pid)"
    if pid_alive "$file"; then
      say "Stopping the ${name} (pid $(cat "$file"))"
      kill -TERM "$(cat "$file")"
      for _ in $(seq 1 50); do
        kill -0 "$(cat "$file")" 2>/dev/null || break
        sleep 0.2
      done
    fi
    rm -f "$file"
  done
  say "Stopped. Data stays in ${BERTH_HOME}"
}

admin_token() {
  if [[ -n "${BERTH_ADMIN_TOKEN:-}" ]]; then
    printf '%s' "$BERTH_ADMIN_TOKEN"
  else
    cat "$DATA_DIR/admin-token"
  fi
}

wait_for_url() {
  local url="$1" what="$2" log="$3"
  for _ in $(seq 1 60); do
    curl -fsS "$url" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "the ${what} did not become ready at ${url}; see ${log}"
}

local_start_control_plane() {
  if pid_alive "$CP_PID" && curl -fsS "$CP_URL/healthz" >/dev/null 2>&1; then
    say "The control plane is already running (pid $(cat "$CP_PID"))"
    return 0
  fi
  if curl -fsS "$CP_URL/healthz" >/dev/null 2>&1; then
    die "port ${CP_PORT} already answers but not with a control plane started here; set BERTH_PORT to another port"
  fi
  say "Starting the control plane on port ${CP_PORT}"
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  chmod 0700 "$BERTH_HOME" "$DATA_DIR"
  BERTH_PORT="$CP_PORT" BERTH_DATA_DIR="$DATA_DIR" \
    setsid node "$REPO_ROOT/control-plane/dist/main.js" >>"$LOG_DIR/control-plane.log" 2>&1 </dev/null &
  echo $! >"$CP_PID"
  wait_for_url "$CP_URL/healthz" "control plane" "$LOG_DIR/control-plane.log"
}

local_start_agent() {
  if pid_alive "$AGENT_PID"; then
    say "The agent is already running (pid $(cat "$AGENT_PID"))"
    return 0
  fi
  mkdir -p "$AGENT_STATE_DIR"
  chmod 0700 "$AGENT_STATE_DIR"
  local join_token=""
  if [[ ! -f "$AGENT_STATE_DIR/identity.json" ]]; then
    say "Creating a join token for the local agent"
    join_token="$(printf 'Authorization: Bearer %s\n' "$(admin_token)" |
      curl -fsS -H @- -H 'Content-Type: application/json' -d '{"ttlSeconds":600}' "$CP_URL/api/v1/join-tokens" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).token))')" ||
      die "could not create a join token; see $LOG_DIR/control-plane.log"
  fi
  say "Starting the agent (status port ${AGENT_STATUS_PORT})"
  BERTH_CONTROL_PLANE_URL="$CP_URL" BERTH_JOIN_TOKEN="$join_token" BERTH_AGENT_STATE_DIR="$AGENT_STATE_DIR" \
    BERTH_AGENT_STATUS_PORT="$AGENT_STATUS_PORT" \
    setsid node "$REPO_ROOT/agent/dist/main.js" >>"$LOG_DIR/agent.log" 2>&1 </dev/null &
  echo $! >"$AGENT_PID"
}

wait_for_agent() {
  for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:${AGENT_STATUS_PORT}/status" 2>/dev/null | grep -q '"connected":true'; then
      return 0
    fi
    pid_alive "$AGENT_PID" || die "the agent exited; see $LOG_DIR/agent.log"
    sleep 0.5
  done
  die "the agent did not connect within 30 s; see $LOG_DIR/agent.log"
}

local_mode() {
  local_paths
  ensure_node
  ensure_pnpm
  say "Installing workspace dependencies"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile --reporter=silent) || die "pnpm install failed"
  say "Building"
  (cd "$REPO_ROOT" && pnpm --silent build >/dev/null) || die "pnpm build failed"
  ensure_docker_engine
  local_start_control_plane
  local_start_agent
  wait_for_agent
  local host
  host="$(hostname -I 2>/dev/null | awk '{print $1}')"
  cat <<EOF

Berth is running.

  Dashboard:    http://${host:-127.0.0.1}:${CP_PORT}/   (on this host: ${CP_URL}/)
  Admin token:  $(admin_token)
  Logs:         ${LOG_DIR}/control-plane.log
                ${LOG_DIR}/agent.log
  Stop:         ./install.sh --local --stop

EOF
}

usage() {
  cat <<'EOF'
Usage:
  ./install.sh --local          run a control plane and an enrolled local agent on this host
  ./install.sh --local --stop   stop them (data is kept in .berth/)
EOF
}

main() {
  local mode="" stop=""
  while (($# > 0)); do
    case "$1" in
      --local) mode="local" ;;
      --stop) stop=1 ;;
      -h | --help)
        usage
        return 0
        ;;
      *)
        usage >&2
        die "unknown option: $1"
        ;;
    esac
    shift
  done
  case "$mode" in
    local) if [[ -n "$stop" ]]; then local_stop; else local_mode; fi ;;
    *)
      usage >&2
      die "choose a mode; the worker installer (--token) is not available in this version yet"
      ;;
  esac
}

if [[ -z "${BERTH_INSTALL_LIB:-}" ]]; then
  main "$@"
fi
