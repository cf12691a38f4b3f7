#!/bin/sh
# Entrypoint of the berth-test/mariadb image, following the official mariadb image:
# MARIADB_ROOT_PASSWORD (required), MARIADB_USER, MARIADB_PASSWORD, MARIADB_DATABASE
# (or the MYSQL_* names); an empty /var/lib/mysql is initialised once, then
# `mariadbd` runs as mysql.
set -eu

if [ "${1#-}" != "$1" ]; then
  set -- mariadbd "$@"
fi

if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then
  exec "$@"
fi

DATADIR=/var/lib/mysql

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATADIR" /run/mysqld
  chown mysql:mysql "$DATADIR" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi

# A SQL string literal: backslashes and single quotes escaped.
sql_string() {
  printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"
}
# A SQL identifier: backticks doubled (they are literal here, not command substitution).
# shellcheck disable=SC2016
sql_name() {
  printf '`%s`' "$(printf '%s' "$1" | sed -e 's/`/``/g')"
}

if [ ! -d "$DATADIR/mysql" ]; then
  root_password="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
  user="${MARIADB_USER:-${MYSQL_USER:-}}"
  password="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"
  database="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
  if [ -z "$root_password" ]; then
    echo 'error: the database is uninitialised and MARIADB_ROOT_PASSWORD is not set' >&2
    exit 1
  fi
  if [ -n "$user" ] && [ -z "$password" ]; then
    echo 'error: MARIADB_USER is set but MARIADB_PASSWORD is not' >&2
    exit 1
  fi
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  # A server on a private socket only, so nothing sees it ready before the real start.
  init_dir="$(mktemp -d)"
  socket="$init_dir/init.sock"
  mariadbd --datadir="$DATADIR" --skip-networking --socket="$socket" \
    --pid-file="$init_dir/init.pid" >"$init_dir/init.log" 2>&1 &
  server=$!
  tries=0
  until mariadb-admin --user=root --socket="$socket" --silent ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 120 ] || ! kill -0 "$server" 2>/dev/null; then
      cat "$init_dir/init.log" >&2
      echo 'error: the initialising server did not start' >&2
      exit 1
    fi
    sleep 0.5
  done
  # printf, not echo: sh's echo would read the backslashes of escaped strings.
  {
    printf '%s\n' 'SET @@SESSION.SQL_LOG_BIN=0;'
    # Only root@localhost stays from the install (it also made root@127.0.0.1, ::1 and the
    # host name without a password, which would shadow root@'%').
    printf '%s\n' "DELETE FROM mysql.global_priv WHERE user NOT IN ('mariadb.sys', 'root') OR host <> 'localhost';"
    printf '%s\n' 'FLUSH PRIVILEGES;'
    printf '%s\n' "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$root_password");"
    printf '%s\n' "CREATE USER 'root'@'%' IDENTIFIED BY $(sql_string "$root_password");"
    printf '%s\n' "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "$database" ]; then
      printf '%s\n' "CREATE DATABASE IF NOT EXISTS $(sql_name "$database");"
    fi
    if [ -n "$user" ]; then
      printf '%s\n' "CREATE USER $(sql_string "$user")@'%' IDENTIFIED BY $(sql_string "$password");"
      if [ -n "$database" ]; then
        printf '%s\n' "GRANT ALL ON $(sql_name "$database").* TO $(sql_string "$user")@'%';"
      fi
    fi
    printf '%s\n' 'FLUSH PRIVILEGES;'
  } | mariadb --user=root --socket="$socket" --binary-mode
  kill "$server"
  wait "$server" || true
  rm -rf "$init_dir"
  echo 'MariaDB init process complete; ready for start up.'
fi

exec "$@"
