#!/usr/bin/env bash
# Berth installer, for worker servers.
#
# On a worker server, from the control plane (the dashboard shows this line with a token):
#   curl -fsSL <control-plane>/install.sh | sudo bash -s -- --token <join-token>
# Run it again to upgrade in place; add --uninstall to remove the agent. See --help.
#
# In a checkout, `./install.sh --local` hands over to scripts/local.sh, which runs a control
# plane plus an enrolled local agent on this host. That script is not part of what workers get.
#
# scripts/local.sh sources this file with BERTH_INSTALL_LIB=1 for its helpers.
set -euo pipefail

# This file's path when run or sourced from a file; empty when piped into bash (`curl | bash`).
INSTALL_SH_PATH="${BASH_SOURCE[0]:-}"
NODE_MIN_MAJOR=20

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

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --------------------------------------------------------------- worker mode

# The control plane fills this in when it serves this script (GET /install.sh).
SERVED_CONTROL_PLANE_URL=""

AGENT_SERVICE="berth-agent"
AGENT_USER="berth"
AGENT_BUNDLE="berth-agent.tar.gz"
# A small young generation: a build printing a million lines then leaves the agent's memory
# about 15 MB higher instead of about 35 (bench:logs). One V8 worker thread instead of four:
# each worker's malloc arena keeps what garbage collection and compiling used, so after about
# 60 deployments the agent sat about 5 MB higher with four (the deploy benchmark).
# --expose-gc lets the agent collect its heap once jobs have ended and it is idle again
# (agent/src/upkeep/idle-collector.ts); without it, the heap a burst of jobs grew stays.
# The control plane (scripts/local.sh) runs with these three too.
CONTROL_PLANE_NODE_FLAGS="--max-semi-space-size=4 --v8-pool-size=1 --expose-gc"
# The agent's code becomes hot for V8's optimizing compiler after about 15 times the default
# interrupt budget: start-up no longer optimizes what runs a few times only, whose compiled
# code and compiler memory stayed (idle RSS 57.1 -> 54.6 MB); a build's log lines still do.
# scripts/local.sh and the test harness run the agent with the same flags.
AGENT_NODE_FLAGS="$CONTROL_PLANE_NODE_FLAGS --interrupt-budget=1000000"
# glibc's own trim threshold (128 KB), fixed: by default glibc raises it, up to 64 MB, once a
# large block is freed, and then keeps what start-up freed. The idle agent is 1.5 MB smaller.
AGENT_MALLOC_ENV="MALLOC_TRIM_THRESHOLD_=131072"
DEFAULT_STATUS_PORT=7071

OPT_TOKEN=""
OPT_URL=""
OPT_NAME=""
OPT_STATUS_PORT=""
OPT_PREFIX=""
OPT_INSTALL_DOCKER=""
OPT_NO_START=""
OPT_PURGE=""

CLEANUP_PATHS=()
cleanup_paths() {
  local path
  for path in ${CLEANUP_PATHS[@]+"${CLEANUP_PATHS[@]}"}; do
    rm -rf -- "$path"
  done
}

worker_paths() {
  local prefix="${OPT_PREFIX%/}"
  AGENT_HOME="$prefix/opt/berth-agent"
  RELEASES_DIR="$AGENT_HOME/releases"
  CURRENT_LINK="$AGENT_HOME/current"
  NODE_LINK="$AGENT_HOME/node"
  CONFIG_DIR="$prefix/etc/berth"
  ENV_FILE="$CONFIG_DIR/agent.env"
  STATE_DIR="$prefix/var/lib/berth-agent"
  IDENTITY_FILE="$STATE_DIR/identity.json"
  UNIT_FILE="$prefix/etc/systemd/system/${AGENT_SERVICE}.service"
  # Used only where systemd does not run.
  FALLBACK_LOG="$prefix/var/log/berth-agent.log"
  FALLBACK_PID="$prefix/run/berth-agent.pid"
}

# Points LINK at TARGET (relative to LINK's folder) in one rename, so readers
# see the old target or the new one, never neither.
switch_link() {
  ln -sfn "$1" "$2.new"
  mv -Tf "$2.new" "$2"
}

# A flat string field of a JSON file, e.g. `json_field identity.json name`.
json_field() {
  [[ -f "$1" ]] || return 0
  sed -n "s/^.*\"$2\" *: *\"\\([^\"]*\\)\".*\$/\\1/p" "$1" | head -n 1
}

systemd_running() { [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; }

check_platform() {
  [[ "$(uname -s)" == "Linux" ]] || die "the Berth agent runs on Linux; this is $(uname -s)"
  need_root "installing the Berth agent"
  case "$(uname -m)" in
    x86_64 | amd64) NODE_ARCH="x64" ;;
    aarch64 | arm64) NODE_ARCH="arm64" ;;
    *) die "unsupported CPU architecture $(uname -m): the Berth agent runs on x86_64 (amd64) and aarch64 (arm64)" ;;
  esac
  local os="an unknown Linux distribution (no /etc/os-release)"
  if [[ -r /etc/os-release ]]; then
    # shellcheck source=/dev/null
    os="$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-${ID:-Linux}}")"
  fi
  say "Checking this server: ${os}, $(uname -m), running as root"
  local tool package
  for tool in curl:curl tar:tar gzip:gzip sha256sum:coreutils useradd:passwd; do
    package="${tool#*:}"
    tool="${tool%%:*}"
    command -v "$tool" >/dev/null ||
      die "${tool} is missing; install it first (on Debian or Ubuntu: apt-get install ${package})"
  done
  command -v git >/dev/null ||
    warn "git is not installed: services built from a git repository will fail until it is (apt-get install git)"
}

# The URL downloads come from (this script's own control plane, or --url) and
# the URL the agent is configured with (kept from agent.env unless --url is given).
resolve_control_plane_url() {
  local configured="" url
  configured="$(env_file_get BERTH_CONTROL_PLANE_URL)"
  url="${OPT_URL:-${SERVED_CONTROL_PLANE_URL:-${BERTH_CONTROL_PLANE_URL:-$configured}}}"
  [[ -n "$url" ]] || die "no control plane URL: download this script from your control plane
  (curl -fsSL https://<control-plane>/install.sh | sudo bash -s -- --token <join-token>) or pass --url URL"
  url="${url%/}"
  [[ "$url" =~ ^https?://[^[:space:]\'\"]+$ ]] ||
    die "the control plane URL must be an http:// or https:// base URL, not '${url}'"
  DOWNLOAD_URL="$url"
  AGENT_URL="$url"
  if [[ -n "$configured" && -z "$OPT_URL" ]]; then
    AGENT_URL="$configured"
    if [[ "$configured" != "$url" ]]; then
      warn "${ENV_FILE} points the agent at ${configured}, not ${url}; keeping it (pass --url to change it)"
    fi
  fi
  curl -fsS --max-time 15 -o /dev/null "$DOWNLOAD_URL/healthz" ||
    die "cannot reach the control plane at ${DOWNLOAD_URL}/healthz: check the URL and that this server can reach it"
}

# ---- Docker, through its API, so the docker CLI is not needed

docker_endpoint() {
  local host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
  case "$host" in
    unix://*)
      DOCKER_SOCKET="${host#unix://}"
      DOCKER_CURL=(--unix-socket "$DOCKER_SOCKET")
      DOCKER_BASE="http://localhost"
      ;;
    tcp://*)
      DOCKER_SOCKET=""
      DOCKER_CURL=()
      DOCKER_BASE="http://${host#tcp://}"
      ;;
    *) die "DOCKER_HOST=${host} is not supported here; use unix:///path or tcp://host:port" ;;
  esac
}

docker_api() {
  curl -fsS --max-time 30 ${DOCKER_CURL[@]+"${DOCKER_CURL[@]}"} -X "$1" "${DOCKER_BASE}$2"
}

docker_engine_answers() { [[ "$(docker_api GET /_ping 2>/dev/null || true)" == "OK" ]]; }

check_docker() {
  docker_endpoint
  local where="${DOCKER_SOCKET:-$DOCKER_BASE}"
  if ! docker_engine_answers; then
    if [[ -z "$OPT_INSTALL_DOCKER" ]]; then
      die "no Docker engine answers at ${where}. Install one, then run this again:
  - on Debian or Ubuntu, add --install-docker to this command: it installs the distribution's docker.io package;
  - or follow https://docs.docker.com/engine/install/;
  - if the engine listens somewhere else, set DOCKER_HOST."
    fi
    command -v apt-get >/dev/null ||
      die "--install-docker uses apt-get (Debian, Ubuntu); install Docker Engine yourself: https://docs.docker.com/engine/install/"
    ensure_docker_engine
    docker_engine_answers || die "the Docker engine was installed but does not answer at ${where}"
  fi
  local info
  info="$(docker_api GET /version)"
  DOCKER_VERSION="unknown"
  if [[ "$info" =~ \"Version\":\"([^\"]+)\" ]]; then
    DOCKER_VERSION="${BASH_REMATCH[1]}"
  fi
  say "Docker engine ${DOCKER_VERSION} answers at ${where}"
}

# ---- Node.js

node_major() {
  local major
  major="$("$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)"
  [[ "$major" =~ ^[0-9]+$ ]] && printf '%s' "$major" || printf '0'
}

find_node() {
  local candidate
  for candidate in "$NODE_LINK/bin/node" "$(command -v node || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    case "$(readlink -f "$candidate")" in
      /root/* | /home/*) continue ;; # the berth user cannot run a node kept in a home folder
    esac
    if (($(node_major "$candidate") >= NODE_MIN_MAJOR)); then
      NODE_BIN="$candidate"
      return 0
    fi
  done
  return 1
}

# Installs Node.js from a nodejs.org-style folder (SHASUMS256.txt and
# node-<version>-linux-<arch>.tar.gz). Returns 1 when the folder has none to
# offer; a download that does not match its checksum stops the install.
install_node_from() {
  local folder="${1%/}" tmp file expected actual
  say "Installing Node.js from ${folder}/"
  tmp="$(mktemp -d)"
  CLEANUP_PATHS+=("$tmp")
  if ! curl -fsSL --connect-timeout 15 --retry 2 "$folder/SHASUMS256.txt" -o "$tmp/SHASUMS256.txt" 2>"$tmp/error"; then
    warn "no Node.js from ${folder}: $(head -n 1 "$tmp/error")"
    return 1
  fi
  file="$(awk -v arch="$NODE_ARCH" '$2 ~ ("^node-v[0-9]+[.][0-9]+[.][0-9]+-linux-" arch "[.]tar[.]gz$") { print $2; exit }' "$tmp/SHASUMS256.txt")"
  if [[ -z "$file" ]]; then
    warn "${folder}/SHASUMS256.txt lists no node-*-linux-${NODE_ARCH}.tar.gz"
    return 1
  fi
  expected="$(awk -v f="$file" '$2 == f { print $1; exit }' "$tmp/SHASUMS256.txt")"
  if ! curl -fsSL --connect-timeout 15 --retry 2 "$folder/$file" -o "$tmp/$file" 2>"$tmp/error"; then
    warn "could not download ${folder}/${file}: $(head -n 1 "$tmp/error")"
    return 1
  fi
  actual="$(sha256sum "$tmp/$file" | awk '{ print $1 }')"
  [[ "$actual" == "$expected" ]] ||
    die "${file} does not match its checksum in ${folder}/SHASUMS256.txt (expected ${expected}, got ${actual}); it was not installed"
  local name="${file%.tar.gz}"
  mkdir -p "$AGENT_HOME"
  rm -rf "${AGENT_HOME:?}/$name.new"
  mkdir "$AGENT_HOME/$name.new"
  tar -xzf "$tmp/$file" -C "$AGENT_HOME/$name.new" --strip-components=1 --no-same-owner ||
    die "could not unpack ${file}"
  if (($(node_major "$AGENT_HOME/$name.new/bin/node") < NODE_MIN_MAJOR)); then
    rm -rf "${AGENT_HOME:?}/$name.new"
    warn "the Node.js from ${folder} does not run on this server"
    return 1
  fi
  rm -rf "${AGENT_HOME:?}/$name"
  mv -T "$AGENT_HOME/$name.new" "$AGENT_HOME/$name"
  switch_link "$name" "$NODE_LINK"
  NODE_BIN="$NODE_LINK/bin/node"
  say "Installed Node.js $("$NODE_BIN" --version) (sha256 verified) in ${AGENT_HOME}/${name}"
}

# Node.js for the agent: one that is installed, else one from BERTH_NODE_MIRROR
# when set, else the control plane's own runtime, else nodejs.org.
ensure_agent_node() {
  if find_node; then
    say "Using Node.js $("$NODE_BIN" --version) at ${NODE_BIN}"
    return 0
  fi
  local version="${BERTH_NODE_VERSION:-latest-v${NODE_MIN_MAJOR}.x}"
  say "No Node.js ${NODE_MIN_MAJOR} or newer is installed here"
  if [[ -n "${BERTH_NODE_MIRROR:-}" ]]; then
    install_node_from "${BERTH_NODE_MIRROR%/}/${version}" ||
      die "could not install Node.js from BERTH_NODE_MIRROR=${BERTH_NODE_MIRROR}; fix the mirror, or install Node.js ${NODE_MIN_MAJOR}+ and run this again"
    return 0
  fi
  if [[ -z "${BERTH_NODE_VERSION:-}" ]] && install_node_from "$DOWNLOAD_URL/agent/v1/node"; then
    return 0
  fi
  install_node_from "https://nodejs.org/dist/${version}" ||
    die "could not install Node.js ${NODE_MIN_MAJOR}+: install it yourself, or set BERTH_NODE_MIRROR to a mirror of https://nodejs.org/dist, and run this again"
}

# ---- the agent bundle

# Downloads and verifies the bundle, then unpacks it beside the installed
# releases. Nothing installed is touched before the checksum matches.
download_bundle() {
  local base="$DOWNLOAD_URL/agent/v1/bundle" tmp expected actual
  tmp="$(mktemp -d)"
  CLEANUP_PATHS+=("$tmp")
  say "Downloading the agent from ${base}/${AGENT_BUNDLE}"
  curl -fsSL --retry 2 "$base/${AGENT_BUNDLE}.sha256" -o "$tmp/sum" ||
    die "could not download ${base}/${AGENT_BUNDLE}.sha256"
  expected="$(awk 'NR == 1 { print $1 }' "$tmp/sum")"
  [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "${base}/${AGENT_BUNDLE}.sha256 holds no sha256"
  curl -fsSL --retry 2 "$base/${AGENT_BUNDLE}" -o "$tmp/$AGENT_BUNDLE" ||
    die "could not download ${base}/${AGENT_BUNDLE}"
  actual="$(sha256sum "$tmp/$AGENT_BUNDLE" | awk '{ print $1 }')"
  if [[ "$actual" != "$expected" ]]; then
    local kept="the agent was not installed"
    [[ -L "$CURRENT_LINK" ]] && kept="the installed agent was left as it is"
    die "the agent bundle does not match the sha256 the control plane publishes (expected ${expected}, got ${actual}): it was changed on the way or on the server; ${kept}"
  fi
  say "Verified the bundle's sha256 ${actual}"
  mkdir -p "$RELEASES_DIR"
  BUNDLE_STAGE="$RELEASES_DIR/.stage.$$"
  rm -rf "$BUNDLE_STAGE"
  mkdir "$BUNDLE_STAGE"
  CLEANUP_PATHS+=("$BUNDLE_STAGE")
  tar -xzf "$tmp/$AGENT_BUNDLE" -C "$BUNDLE_STAGE" --no-same-owner || die "could not unpack the agent bundle"
  [[ -f "$BUNDLE_STAGE/main.js" && -f "$BUNDLE_STAGE/package.json" ]] ||
    die "the agent bundle has no main.js and package.json"
  chmod -R u=rwX,go=rX "$BUNDLE_STAGE"
  BUNDLE_VERSION="$(sed -n 's/^ *"version": *"\([^"]*\)".*$/\1/p' "$BUNDLE_STAGE/package.json" | head -n 1)"
  [[ "$BUNDLE_VERSION" =~ ^[0-9A-Za-z.+-]{1,64}$ ]] || BUNDLE_VERSION="unknown"
  RELEASE_NAME="releases/${BUNDLE_VERSION}-${actual:0:12}"
}

# The agent runs as berth: it must run node, read the bundle and write its state.
check_agent_access() {
  command -v setpriv >/dev/null || return 0
  # shellcheck disable=SC2016 # a Node.js script
  setpriv --reuid="$AGENT_USER" --regid="$AGENT_USER" --init-groups -- "$NODE_BIN" -e \
    'fs.accessSync(process.argv[1], fs.constants.R_OK); fs.accessSync(process.argv[2], fs.constants.W_OK)' \
    "$BUNDLE_STAGE/main.js" "$STATE_DIR" 2>/dev/null ||
    die "the user ${AGENT_USER} cannot run ${NODE_BIN}, read ${RELEASES_DIR} or write ${STATE_DIR}: make their parent folders searchable (chmod o+x) and run this again"
}

# Switches `current` to the verified bundle; the previous one stays for a rollback.
install_release() {
  PREVIOUS_RELEASE="$(readlink "$CURRENT_LINK" 2>/dev/null || true)"
  BUNDLE_CHANGED=""
  if [[ "$PREVIOUS_RELEASE" == "$RELEASE_NAME" && -f "$AGENT_HOME/$RELEASE_NAME/main.js" ]]; then
    say "Agent ${BUNDLE_VERSION} is already installed"
    return 0
  fi
  rm -rf "${AGENT_HOME:?}/$RELEASE_NAME"
  mv -T "$BUNDLE_STAGE" "$AGENT_HOME/$RELEASE_NAME"
  switch_link "$RELEASE_NAME" "$CURRENT_LINK"
  BUNDLE_CHANGED=1
  if [[ -n "$PREVIOUS_RELEASE" ]]; then
    say "Upgraded the agent: ${PREVIOUS_RELEASE#releases/} -> ${RELEASE_NAME#releases/}"
  else
    say "Installed agent ${BUNDLE_VERSION} in ${AGENT_HOME}/${RELEASE_NAME}"
  fi
}

# After an upgrade, keeps the new release and the one it replaced; removes
# Node.js runtimes no longer used.
prune_old_files() {
  local current dir
  current="$(readlink "$CURRENT_LINK" 2>/dev/null || true)"
  for dir in "$RELEASES_DIR"/*; do
    [[ -n "$BUNDLE_CHANGED" && -d "$dir" ]] || continue
    case "releases/${dir##*/}" in
      "$current" | "$PREVIOUS_RELEASE") ;;
      *) rm -rf "$dir" ;;
    esac
  done
  current="$(readlink "$NODE_LINK" 2>/dev/null || true)"
  for dir in "$AGENT_HOME"/node-v*; do
    [[ -d "$dir" && "${dir##*/}" != "$current" ]] && rm -rf "$dir"
  done
  return 0
}

# ---- user, folders and configuration

ensure_agent_user() {
  local groups="docker" socket_gid="" socket_group=""
  if [[ -n "$DOCKER_SOCKET" && -S "$DOCKER_SOCKET" ]]; then
    socket_gid="$(stat -c %g "$DOCKER_SOCKET")"
  fi
  if ! getent group docker >/dev/null; then
    # Match the socket's group when it has no name here (e.g. a socket shared into a container).
    if [[ -n "$socket_gid" && "$socket_gid" != 0 ]] && ! getent group "$socket_gid" >/dev/null; then
      groupadd --system --gid "$socket_gid" docker
    else
      groupadd --system docker
    fi
    say "Created the group docker"
  fi
  if [[ -n "$socket_gid" ]]; then
    socket_group="$(getent group "$socket_gid" | cut -d: -f1 || true)"
    if [[ "$socket_gid" == 0 ]]; then
      warn "${DOCKER_SOCKET} belongs to group root, so the agent (user ${AGENT_USER}) may not reach it; give it group docker"
    elif [[ -n "$socket_group" && "$socket_group" != docker ]]; then
      groups="docker,${socket_group}"
    fi
  fi
  if id -u "$AGENT_USER" >/dev/null 2>&1; then
    usermod -a -G "$groups" "$AGENT_USER"
  else
    local shell=/usr/sbin/nologin
    [[ -x "$shell" ]] || shell=/bin/false
    useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell "$shell" \
      --groups "$groups" --comment "Berth agent" "$AGENT_USER"
    say "Created the system user ${AGENT_USER} (groups: ${groups})"
  fi
  install -d -m 0700 -o "$AGENT_USER" -g "$AGENT_USER" "$STATE_DIR"
  chmod 0700 "$STATE_DIR"
  chown -R "$AGENT_USER:$AGENT_USER" "$STATE_DIR"
  install -d -m 0755 "$CONFIG_DIR"
}

# A value from agent.env without its quotes; empty when unset.
env_file_get() {
  [[ -f "$ENV_FILE" ]] || return 0
  local line value
  line="$(grep -E "^${1}=" "$ENV_FILE" | tail -n 1 || true)"
  value="${line#*=}"
  if [[ "$value" == \'*\' || "$value" == \"*\" ]]; then
    value="${value:1:${#value}-2}"
  fi
  printf '%s' "$value"
}

# Rewrites agent.env (0600, root) with KEY=VALUE updates; an empty VALUE removes
# KEY. Other lines, including ones added by hand, keep their place.
update_env_file() {
  local -A wanted=() written=()
  local -a order=()
  local entry key line tmp
  for entry in "$@"; do
    wanted["${entry%%=*}"]="${entry#*=}"
    order+=("${entry%%=*}")
  done
  tmp="$(mktemp "$CONFIG_DIR/.agent.env.XXXXXX")"
  {
    if [[ -f "$ENV_FILE" ]]; then
      while IFS= read -r line || [[ -n "$line" ]]; do
        key="${line%%=*}"
        if [[ "$line" == *=* && "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ && -n "${wanted[$key]+set}" ]]; then
          if [[ -z "${written[$key]+set}" && -n "${wanted[$key]}" ]]; then
            printf "%s='%s'\n" "$key" "${wanted[$key]}"
          fi
          written["$key"]=1
        else
          printf '%s\n' "$line"
        fi
      done <"$ENV_FILE"
    else
      echo "# Berth agent settings, read by the ${AGENT_SERVICE} service. Keep this file private (0600)."
      echo "# Re-running install.sh keeps them; its --url, --name and --status-port change them."
    fi
    for key in "${order[@]}"; do
      if [[ -z "${written[$key]+set}" && -n "${wanted[$key]}" ]]; then
        printf "%s='%s'\n" "$key" "${wanted[$key]}"
      fi
    done
  } >"$tmp"
  chmod 0600 "$tmp"
  chown root:root "$tmp"
  if [[ -f "$ENV_FILE" ]] && cmp -s "$tmp" "$ENV_FILE"; then
    rm -f "$tmp"
    return 0
  fi
  mv -f "$tmp" "$ENV_FILE"
  CONFIG_CHANGED=1
}

write_agent_config() {
  CONFIG_CHANGED=""
  [[ -f "$ENV_FILE" ]] || say "Writing ${ENV_FILE}"
  local updates=(
    "BERTH_CONTROL_PLANE_URL=${AGENT_URL}"
    "BERTH_AGENT_STATE_DIR=${STATE_DIR}"
    "BERTH_AGENT_STATUS_PORT=${STATUS_PORT}"
  )
  [[ -n "$OPT_NAME" ]] && updates+=("BERTH_AGENT_NAME=${OPT_NAME}")
  [[ -n "${DOCKER_HOST:-}" ]] && updates+=("DOCKER_HOST=${DOCKER_HOST}")
  if [[ -s "$IDENTITY_FILE" ]]; then
    updates+=("BERTH_JOIN_TOKEN=") # enrolled: the one-time token has no use any more
  else
    updates+=("BERTH_JOIN_TOKEN=${OPT_TOKEN}")
  fi
  update_env_file "${updates[@]}"
  chmod 0600 "$ENV_FILE"
}

unit_text() {
  cat <<EOF
# Written by the Berth installer; running it again rewrites this file.
[Unit]
Description=Berth agent: runs this server's deployments for the Berth control plane
Wants=network-online.target
After=network-online.target docker.service
StartLimitIntervalSec=10min
StartLimitBurst=20

[Service]
Type=simple
User=${AGENT_USER}
Group=${AGENT_USER}
Environment=${AGENT_MALLOC_ENV}
EnvironmentFile=${ENV_FILE}
WorkingDirectory=${STATE_DIR}
ExecStart=${NODE_BIN} ${AGENT_NODE_FLAGS} ${CURRENT_LINK}/main.js
Restart=on-failure
RestartSec=5s
# A restart (an upgrade, say) signals only the agent, never the builds and git
# fetches it started, and gives it time to finish a deployment in flight.
KillMode=process
TimeoutStopSec=30min
NoNewPrivileges=yes
ProtectSystem=full
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
EOF
}

write_unit() {
  UNIT_CHANGED=""
  local text
  text="$(unit_text)"
  if [[ -f "$UNIT_FILE" && "$(cat "$UNIT_FILE")" == "$text" ]]; then
    return 0
  fi
  mkdir -p "${UNIT_FILE%/*}"
  printf '%s\n' "$text" >"$UNIT_FILE.new"
  chmod 0644 "$UNIT_FILE.new"
  mv -f "$UNIT_FILE.new" "$UNIT_FILE"
  UNIT_CHANGED=1
  say "Wrote the systemd unit ${UNIT_FILE}"
}

# ---- running it

# Where systemd does not run (a container, say): the unit's command, user and
# environment, started in the background without supervision.
fallback_start() {
  command -v setpriv >/dev/null || die "setpriv (util-linux) is needed to start the agent without systemd"
  mkdir -p "${FALLBACK_LOG%/*}" "${FALLBACK_PID%/*}"
  # A clean environment plus agent.env, as systemd gives the service.
  # SC2016: expanded by the inner shell. SC2086: one word per flag, as in the unit's ExecStart.
  # shellcheck disable=SC2016,SC2086
  setsid env -i PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    bash -c 'cd "$1" && set -a && . "$2" && set +a && shift 2 && exec "$@"' berth-agent \
    "$STATE_DIR" "$ENV_FILE" \
    setpriv --reuid="$AGENT_USER" --regid="$AGENT_USER" --init-groups -- \
    env HOME="$STATE_DIR" "$AGENT_MALLOC_ENV" "$NODE_BIN" $AGENT_NODE_FLAGS "$CURRENT_LINK/main.js" \
    >>"$FALLBACK_LOG" 2>&1 </dev/null &
  echo $! >"$FALLBACK_PID"
}

fallback_stop() {
  pid_alive "$FALLBACK_PID" || {
    rm -f "$FALLBACK_PID"
    return 0
  }
  local pid
  pid="$(cat "$FALLBACK_PID")"
  say "Stopping the agent (pid ${pid})"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$FALLBACK_PID"
}

agent_running() {
  if systemd_running; then
    systemctl is-active --quiet "$AGENT_SERVICE"
  else
    pid_alive "$FALLBACK_PID"
  fi
}

start_agent() {
  local changed="${BUNDLE_CHANGED}${CONFIG_CHANGED}${UNIT_CHANGED}${NODE_CHANGED:-}"
  if systemd_running; then
    systemctl daemon-reload
    if [[ "$UNIT_FILE" == "/etc/systemd/system/${AGENT_SERVICE}.service" ]]; then
      systemctl enable --quiet "$AGENT_SERVICE"
    else
      systemctl enable --quiet "$UNIT_FILE"
    fi
  fi
  if [[ -n "$OPT_NO_START" ]]; then
    return 0
  fi
  if [[ -z "$changed" ]] && agent_running; then
    say "The agent is already running this version and configuration"
    return 0
  fi
  if ! agent_running && curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:${STATUS_PORT}/status" 2>/dev/null; then
    die "port ${STATUS_PORT} on 127.0.0.1 already answers, so the agent cannot use it for its status port; choose another with --status-port"
  fi
  say "Starting the agent"
  if systemd_running; then
    systemctl restart "$AGENT_SERVICE"
  else
    warn "systemd is not running here: starting the agent in the background without supervision (log: ${FALLBACK_LOG}); it will not be restarted after a crash or a reboot"
    fallback_stop
    fallback_start
  fi
}

agent_log_tail() {
  if systemd_running && command -v journalctl >/dev/null; then
    journalctl -u "$AGENT_SERVICE" -n 20 --no-pager 2>/dev/null || true
  elif [[ -f "$FALLBACK_LOG" ]]; then
    tail -n 20 "$FALLBACK_LOG"
  fi
}

stop_agent() {
  if systemd_running; then
    systemctl stop "$AGENT_SERVICE" 2>/dev/null || true
  fi
  fallback_stop
}

# The agent did not come online: show why, undo what can be undone, and fail.
agent_failed() {
  local why="$1"
  printf '%s\n' "--- the agent's last log lines ---" >&2
  agent_log_tail >&2
  printf '%s\n' "---" >&2
  if [[ -n "$BUNDLE_CHANGED" && -n "$PREVIOUS_RELEASE" && -f "$AGENT_HOME/$PREVIOUS_RELEASE/main.js" ]]; then
    warn "going back to the previous agent (${PREVIOUS_RELEASE#releases/})"
    switch_link "$PREVIOUS_RELEASE" "$CURRENT_LINK"
    if systemd_running; then systemctl restart "$AGENT_SERVICE"; else
      fallback_stop
      fallback_start
    fi
    die "${why}; the new agent was rolled back"
  fi
  if [[ ! -s "$IDENTITY_FILE" ]]; then
    stop_agent
    die "${why}; the agent was stopped. Fix the cause (a new join token: --token) and run this again"
  fi
  die "$why"
}

wait_for_connected() {
  local url="http://127.0.0.1:${STATUS_PORT}/status" limit="${BERTH_INSTALL_WAIT_SECONDS:-90}" body="" down=0 tick agent_id
  say "Waiting for the agent to connect (status port ${STATUS_PORT})"
  for ((tick = 0; tick < limit * 2; tick++)); do
    body="$(curl -fsS --max-time 2 "$url" 2>/dev/null || true)"
    # Connected, and as the identity this install enrolled, not some other agent.
    agent_id="$(json_field "$IDENTITY_FILE" agentId)"
    if [[ -n "$agent_id" && "$body" == *'"connected":true'* && "$body" == *"\"agentId\":\"${agent_id}\""* ]]; then
      STATUS_BODY="$body"
      return 0
    fi
    if agent_running; then down=0; else down=$((down + 1)); fi
    ((down < 4)) || agent_failed "the agent exited"
    sleep 0.5
  done
  local last=""
  [[ "$body" =~ \"lastError\":\"([^\"]*)\" ]] && last=": ${BASH_REMATCH[1]}"
  agent_failed "the agent did not report connected within ${limit} s${last}"
}

report_installed() {
  local name id docker_version="not reachable"
  name="$(json_field "$IDENTITY_FILE" name)"
  id="$(json_field "$IDENTITY_FILE" agentId)"
  if [[ "$STATUS_BODY" =~ \"reachable\":true,\"version\":\"([^\"]*)\" ]]; then
    docker_version="${BASH_REMATCH[1]}"
  else
    warn "the agent cannot reach Docker as user ${AGENT_USER}: check the group of ${DOCKER_SOCKET:-the Docker socket}"
  fi
  local service="systemctl status ${AGENT_SERVICE}; journalctl -u ${AGENT_SERVICE}"
  systemd_running || service="pid $(cat "$FALLBACK_PID"), log ${FALLBACK_LOG} (no systemd here)"
  cat <<EOF

Berth agent ${BUNDLE_VERSION} is running and connected.

  Server:     ${name:-?} (${id:-?})
  Status:     online, connected to ${AGENT_URL}
  Docker:     ${docker_version}
  Service:    ${service}
  Settings:   ${ENV_FILE}
  Uninstall:  curl -fsSL ${DOWNLOAD_URL}/install.sh | sudo bash -s -- --uninstall

EOF
}

validate_worker_options() {
  if [[ -n "$OPT_PREFIX" ]]; then
    [[ "$OPT_PREFIX" =~ ^/[A-Za-z0-9._/-]*$ ]] ||
      die "--prefix must be an absolute path of letters, digits, '.', '_', '-' and '/'"
  fi
  if [[ -n "$OPT_TOKEN" && ! "$OPT_TOKEN" =~ ^[A-Za-z0-9_-]{16,256}$ ]]; then
    die "--token does not look like a join token; copy it exactly as the dashboard or POST /api/v1/join-tokens shows it"
  fi
  if [[ -n "$OPT_NAME" ]] && { ((${#OPT_NAME} > 100)) || [[ "$OPT_NAME" == *[\'\"\\\$\`]* || ! "$OPT_NAME" =~ ^[[:print:]]+$ ]]; }; then
    die "--name must be 1-100 printable characters, without quotes, backslashes, \$ or backticks"
  fi
  if [[ -n "$OPT_STATUS_PORT" ]] && ! [[ "$OPT_STATUS_PORT" =~ ^[0-9]+$ && "$OPT_STATUS_PORT" -ge 1 && "$OPT_STATUS_PORT" -le 65535 ]]; then
    die "--status-port must be a TCP port number (1-65535)"
  fi
}

worker_install() {
  validate_worker_options
  worker_paths
  trap cleanup_paths EXIT
  check_platform
  if [[ ! -s "$IDENTITY_FILE" && -z "$OPT_TOKEN" ]]; then
    die "the first install needs a join token: --token <token> (create one in the dashboard, or with POST /api/v1/join-tokens)"
  fi
  if [[ -s "$IDENTITY_FILE" && -n "$OPT_TOKEN" ]]; then
    say "This server is already enrolled as $(json_field "$IDENTITY_FILE" name); keeping its identity (the token is not used)"
  fi
  resolve_control_plane_url
  STATUS_PORT="${OPT_STATUS_PORT:-$(env_file_get BERTH_AGENT_STATUS_PORT)}"
  STATUS_PORT="${STATUS_PORT:-$DEFAULT_STATUS_PORT}"
  check_docker
  local node_before
  node_before="$(readlink -f "$NODE_LINK/bin/node" 2>/dev/null || true)"
  ensure_agent_node
  NODE_CHANGED=""
  [[ "$(readlink -f "$NODE_BIN")" != "$node_before" && -n "$node_before" ]] && NODE_CHANGED=1
  download_bundle
  ensure_agent_user
  write_agent_config
  check_agent_access
  install_release
  write_unit
  start_agent
  if [[ -n "$OPT_NO_START" ]]; then
    prune_old_files
    cat <<EOF

Berth agent ${BUNDLE_VERSION} is installed but not started (--no-start).
  Start it:   $(if systemd_running; then echo "systemctl start ${AGENT_SERVICE}"; else echo "run the ExecStart line of ${UNIT_FILE} as user ${AGENT_USER}, with the variables of ${ENV_FILE}"; fi)
  Settings:   ${ENV_FILE}

EOF
    return 0
  fi
  wait_for_connected
  # Enrolled: the join token is spent, so it leaves the settings file.
  write_agent_config
  prune_old_files
  report_installed
}

# ---- uninstall

url_encode() {
  local text="$1" out="" char i
  for ((i = 0; i < ${#text}; i++)); do
    char="${text:i:1}"
    case "$char" in
      [A-Za-z0-9._~-]) out+="$char" ;;
      *) out+="$(printf '%%%02X' "'$char")" ;;
    esac
  done
  printf '%s' "$out"
}

# Removes every container and image that carries Berth's label.
purge_berth_containers() {
  docker_endpoint
  if ! docker_engine_answers; then
    warn "no Docker engine answers: no container was removed"
    return 0
  fi
  local label="${BERTH_PURGE_LABEL:-berth.service}" filter ids id containers=0 images=0
  [[ "$label" =~ ^[A-Za-z0-9._/=-]+$ ]] || die "BERTH_PURGE_LABEL must be a Docker label filter such as berth.service"
  filter="$(url_encode "{\"label\":[\"${label}\"]}")"
  ids="$(docker_api GET "/containers/json?all=1&filters=${filter}" | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)"
  for id in $ids; do
    docker_api DELETE "/containers/${id}?force=1&v=1" >/dev/null && containers=$((containers + 1))
  done
  ids="$(docker_api GET "/images/json?filters=${filter}" | grep -o '"Id":"sha256:[0-9a-f]*"' | cut -d'"' -f4 || true)"
  for id in $ids; do
    docker_api DELETE "/images/${id}?force=1" >/dev/null 2>&1 && images=$((images + 1))
  done
  say "Removed ${containers} containers and ${images} images labelled ${label}"
}

worker_uninstall() {
  [[ -z "$OPT_TOKEN$OPT_NAME$OPT_STATUS_PORT$OPT_INSTALL_DOCKER$OPT_NO_START" ]] ||
    die "--uninstall takes only --purge and --prefix"
  validate_worker_options
  worker_paths
  need_root "removing the Berth agent"
  local name id
  name="$(json_field "$IDENTITY_FILE" name)"
  id="$(json_field "$IDENTITY_FILE" agentId)"
  say "Removing the Berth agent${name:+ ${name} (${id})}"
  if systemd_running; then
    if [[ -f "$UNIT_FILE" ]] || systemctl cat "$AGENT_SERVICE" >/dev/null 2>&1; then
      systemctl disable --now --quiet "$AGENT_SERVICE" 2>/dev/null || true
    fi
  fi
  fallback_stop
  rm -f "$UNIT_FILE"
  systemd_running && systemctl daemon-reload
  if [[ -n "$OPT_PURGE" ]]; then
    purge_berth_containers
  fi
  rm -rf "$AGENT_HOME" "$STATE_DIR" "$ENV_FILE" "$FALLBACK_LOG" "$FALLBACK_PID"
  rmdir "$CONFIG_DIR" 2>/dev/null || true
  if id -u "$AGENT_USER" >/dev/null 2>&1; then
    userdel "$AGENT_USER" ||
      die "could not remove the user ${AGENT_USER}; stop its processes (ps -u ${AGENT_USER}) and run --uninstall again"
  fi
  say "Removed the service, the user ${AGENT_USER} and the agent's files"
  if [[ -z "$OPT_PURGE" ]]; then
    echo "The containers Berth started keep running; run again with --uninstall --purge to remove them."
  fi
  if [[ -n "$id" ]]; then
    echo "The server ${id} stays listed, offline, on the control plane: delete it there."
  fi
}

# ------------------------------------------------------------------- options

usage() {
  cat <<'EOF'
Usage:
  Worker server (as root; the dashboard shows this line with a fresh join token):
    curl -fsSL <control-plane>/install.sh | sudo bash -s -- --token <join-token> [options]

    --token TOKEN        one-time join token; needed for the first install only
    --name NAME          the server's name (default: the host name)
    --url URL            the control plane's URL (default: where this script came from)
    --status-port PORT   the agent's local status port on 127.0.0.1 (default 7071)
    --install-docker     install Debian's or Ubuntu's docker.io when no Docker engine answers
    --no-start           install and enable, but do not start the agent
    --prefix DIR         put every file under DIR (for packaging and tests)
    --uninstall          remove the service, the user and the files; containers keep running
    --purge              with --uninstall: also remove the containers and images Berth made

    Running it again upgrades the agent in place and keeps its identity and settings.
    Without Node.js 20 or newer, the agent gets the control plane's own Node.js, or one
    from https://nodejs.org/dist. BERTH_NODE_MIRROR (a nodejs.org-style mirror) and
    BERTH_NODE_VERSION (default latest-v20.x) choose another, always checksum-verified.

  In a checkout, everything on this host:
    ./install.sh --local          run a control plane and an enrolled local agent on this host
    ./install.sh --local --stop   stop them (data is kept in .berth/)
EOF
}

# `--local` belongs to a checkout, not to workers: scripts/local.sh beside this file does it.
run_local() {
  local script=""
  if [[ -f "$INSTALL_SH_PATH" ]]; then
    script="$(dirname "$INSTALL_SH_PATH")/scripts/local.sh"
  fi
  [[ -n "$script" && -f "$script" ]] ||
    die "--local runs from a Berth checkout: clone the repository and run ./install.sh --local there"
  exec bash "$script" "$@"
}

option_value() {
  [[ $# -ge 2 && -n "$2" && "$2" != --* ]] || die "$1 needs a value; see --help"
  printf '%s' "$2"
}

main() {
  local mode="" stop=""
  while (($# > 0)); do
    case "$1" in
      --local) mode="local" ;;
      --stop) stop=1 ;;
      --uninstall) mode="uninstall" ;;
      --purge) OPT_PURGE=1 ;;
      --install-docker) OPT_INSTALL_DOCKER=1 ;;
      --no-start) OPT_NO_START=1 ;;
      --token | --url | --name | --status-port | --prefix)
        local value
        value="$(option_value "$@")"
        case "$1" in
          --token) OPT_TOKEN="$value" ;;
          --url) OPT_URL="$value" ;;
          --name) OPT_NAME="$value" ;;
          --status-port) OPT_STATUS_PORT="$value" ;;
          --prefix) OPT_PREFIX="$value" ;;
        esac
        shift
        ;;
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
  [[ -z "$stop" || "$mode" == "local" ]] || die "--stop goes with --local"
  [[ -z "$OPT_PURGE" || "$mode" == "uninstall" ]] || die "--purge goes with --uninstall"
  case "$mode" in
    local) run_local ${stop:+--stop} ;;
    uninstall) worker_uninstall ;;
    *)
      if [[ -z "$OPT_TOKEN$OPT_URL$SERVED_CONTROL_PLANE_URL" && ! -f "${OPT_PREFIX%/}/etc/berth/agent.env" ]]; then
        usage >&2
        die "choose what to do: --token <join-token> to install the agent from a control plane, or --local to run everything on this host"
      fi
      worker_install
      ;;
  esac
}

if [[ -z "${BERTH_INSTALL_LIB:-}" ]]; then
  main "$@"
fi
