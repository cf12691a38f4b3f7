#!/bin/sh
# Entrypoint of the berth-test/postgres image, following the official postgres image:
# POSTGRES_PASSWORD (required), POSTGRES_USER (default postgres), POSTGRES_DB (default
# the user); an empty PGDATA is initialised once, then `postgres` runs as postgres.
set -eu

if [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 2775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo 'error: the database is uninitialised and POSTGRES_PASSWORD is not set' >&2
    exit 1
  fi
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  init_socket="$(mktemp -d)"
  pwfile="$init_socket/pwfile"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --pgdata="$PGDATA" --username="$user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    # A server on a private socket only, so nothing sees it ready before the real start.
    pg_ctl --pgdata="$PGDATA" --wait --silent \
      --options="-c listen_addresses='' -c unix_socket_directories=$init_socket" start
    printf 'CREATE DATABASE :"db";\n' |
      psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v db="$db" \
        --host="$init_socket" --username="$user" --dbname=postgres
    pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
  fi
  rmdir "$init_socket"
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
