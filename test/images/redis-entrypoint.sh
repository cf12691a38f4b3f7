#!/bin/sh
# Entrypoint of the berth-test/redis image, following the official redis image: the
# arguments go through (`redis-server /path/redis.conf` works), redis-server runs as
# redis in /data, and without a config that sets it, protected mode is off.
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

# Like the official image: keep files private unless a umask was chosen.
if [ "$(umask)" = 0022 ]; then
  umask 0077
fi

if [ "$1" = redis-server ]; then
  config=
  if [ "$#" -ge 2 ] && [ -f "$2" ]; then
    config="$2"
  fi
  if [ -z "$config" ] || ! grep -q '^protected-mode' "$config"; then
    shift
    if [ -n "$config" ]; then
      shift
      set -- redis-server "$config" --protected-mode no "$@"
    else
      set -- redis-server --protected-mode no "$@"
    fi
  fi
fi

exec "$@"
