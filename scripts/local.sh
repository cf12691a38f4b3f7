#!/usr/bin/env bash
# Berth from this checkout, everything on one host: a control plane and an enrolled local
# agent, in the background. `./install.sh --local` runs this script.
#
#   scripts/local.sh          install pnpm and the dependencies, build, make sure Docker runs,
#                             then start the control plane and the agent
#   scripts/local.sh --stop   stop what it started; data stays in .berth/
#
# test/run.sh sources it with BERTH_LOCAL_LIB=1 for the ensure_* helpers, among them the test
# registry and base image. None of this goes to worker servers: they get install.sh alone.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=install.sh
BERTH_INSTALL_LIB=1 source "$REPO_ROOT/install.sh"

PNPM_VERSION="9.15.9"
# The agent runs with the flags and malloc setting of its unit (install.sh); the control plane
# with its own flags and the same malloc setting.
read -ra NODE_FLAGS <<<"$AGENT_NODE_FLAGS"
read -ra CP_NODE_FLAGS <<<"$CONTROL_PLANE_NODE_FLAGS"
REGISTRY_ADDR="127.0.0.1:5000"
TEST_BASE_IMAGE="berth-test/busybox:latest"

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

# ---------------------------------------------------------------- test helpers

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

# ---------------------------------------------------------------- local mode

local_paths() {
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
    setsid env "$AGENT_MALLOC_ENV" node "${CP_NODE_FLAGS[@]}" "$REPO_ROOT/control-plane/dist/main.js" >>"$LOG_DIR/control-plane.log" 2>&1 </dev/null &
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
    setsid env "$AGENT_MALLOC_ENV" node "${NODE_FLAGS[@]}" "$REPO_ROOT/agent/dist/main.js" >>"$LOG_DIR/agent.log" 2>&1 </dev/null &
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

local_usage() {
  cat <<'EOF'
Usage (in a Berth checkout; ./install.sh --local runs this script):
  scripts/local.sh          run a control plane and an enrolled local agent on this host
  scripts/local.sh --stop   stop them (data is kept in .berth/)
EOF
}

local_main() {
  case "${1:-}" in
    "") local_mode ;;
    --stop) local_stop ;;
    -h | --help) local_usage ;;
    *)
      local_usage >&2
      die "unknown option: $1"
      ;;
  esac
}

if [[ -z "${BERTH_LOCAL_LIB:-}" ]]; then
  local_main "$@"
fi
