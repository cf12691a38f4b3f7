#!/usr/bin/env bash
# Runs Berth's whole test suite on this host: typecheck, lint, unit tests and the
# end-to-end tests against real processes, a real Docker engine and a registry.
# It installs what it needs: pnpm, the workspace dependencies, the Docker engine,
# a busybox base image, a registry on 127.0.0.1:5000 and Chromium.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$(pwd)"
# shellcheck source=scripts/local.sh
BERTH_LOCAL_LIB=1 source "$REPO_ROOT/scripts/local.sh"

TEST_STATE="$REPO_ROOT/.berth/test"
mkdir -p "$TEST_STATE"

ensure_node
ensure_pnpm
say "Installing workspace dependencies"
pnpm install --frozen-lockfile --reporter=silent

if [[ "$(id -u)" == "0" ]]; then
  ensure_docker_engine
  ensure_test_base_image
  ensure_local_registry "$TEST_STATE"
elif ! docker_answers; then
  if [[ "${CI:-}" == "true" ]]; then
    die "no Docker engine answers and this is not root, so none can be started; CI needs one"
  fi
  warn "no Docker engine answers: end-to-end tests that need Docker will be SKIPPED"
fi

# The dashboard's browser tests drive Debian's Chromium (never a downloaded browser).
CHROMIUM=/usr/bin/chromium
if [[ ! -x "$CHROMIUM" && "$(id -u)" == "0" ]]; then
  apt_install chromium fonts-dejavu-core
fi
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "${CI:-}" == "true" ]]; then
    die "$CHROMIUM is missing and cannot be installed (apt-get install -y chromium); CI needs it for the dashboard tests"
  fi
  warn "$CHROMIUM is missing: the dashboard browser tests will be SKIPPED"
fi

# The installer tests build a Debian "worker" image with debootstrap (then cached in Docker).
if [[ "$(id -u)" == "0" ]] && ! command -v debootstrap >/dev/null; then
  apt_install debootstrap
fi
# skopeo pushes the engine images to the test registry under their own names.
if [[ "$(id -u)" == "0" ]] && ! command -v skopeo >/dev/null; then
  apt_install skopeo
fi
# htpasswd writes the logins of the password-protected registry the private-registry tests start.
[[ "$(id -u)" != "0" ]] || command -v htpasswd >/dev/null || apt_install apache2-utils
# OpenSSH's server for the private git tests, which run their own sshd on a loopback port. A
# policy-rc.d keeps the package from starting the system's sshd on port 22 while it installs.
if [[ "$(id -u)" == "0" && ! -x /usr/sbin/sshd ]]; then
  own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt_install openssh-server
  [[ -z "$own_policy" ]] || rm -f /usr/sbin/policy-rc.d
fi
# Caddy for the proxy test image, pebble and pebble-challtestsrv as the tests' ACME CA.
# Like openssh-server above, a policy-rc.d keeps the package from starting a system caddy on :80.
if [[ "$(id -u)" == "0" ]] && ! command -v caddy >/dev/null; then
  own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt_install caddy
  [[ -z "$own_policy" ]] || rm -f /usr/sbin/policy-rc.d
fi
if [[ "$(id -u)" == "0" ]] && ! command -v pebble >/dev/null; then
  apt_install pebble
fi
# PostgreSQL, MariaDB and Redis test images and the proxy image from Debian packages, pushed to the registry (cached).
[[ "$(id -u)" != "0" ]] || BERTH_TEST_REGISTRY="$REGISTRY_ADDR" pnpm exec tsx test/images/build.ts

say "Building"
pnpm --silent build
say "Typecheck"
pnpm --silent typecheck
say "Lint"
pnpm --silent lint
if ! command -v shellcheck >/dev/null && [[ "$(id -u)" == "0" ]]; then
  apt_install shellcheck
fi
if command -v shellcheck >/dev/null; then
  shellcheck -x install.sh scripts/local.sh test/run.sh .ci/run
elif [[ "${CI:-}" == "true" ]]; then
  die "shellcheck is missing and cannot be installed"
else
  warn "shellcheck is missing: shell scripts were NOT checked"
fi
say "Unit tests"
pnpm --silent test
say "End-to-end tests"
BERTH_TEST_BASE_IMAGE="$TEST_BASE_IMAGE" BERTH_TEST_REGISTRY="$REGISTRY_ADDR" pnpm --silent test:e2e
say "All tests passed"
