#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the tests and print its URL.
# Usage: eval "$(scripts/postgres.sh start)"  ...  scripts/postgres.sh stop
set -euo pipefail
PGDIR=${PGDIR:-/tmp/clearinghouse-pg}
PGPORT=${PGPORT:-54329}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] || { echo "echo 'PostgreSQL server binaries not found (apt-get install postgresql)' >&2; false"; exit 1; }
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ ! -s "$PGDIR/PG_VERSION" ]; then
      mkdir -p "$PGDIR"; [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
      run "$BIN/initdb" -D "$PGDIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! run "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1; then
      run "$BIN/pg_ctl" -D "$PGDIR" -w -l "$PGDIR/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    fi
    run "$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='clearinghouse'" | grep -q 1 \
      || run "$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres clearinghouse
    echo "export TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PGPORT/clearinghouse"
    ;;
  stop) run "$BIN/pg_ctl" -D "$PGDIR" -m fast stop >/dev/null 2>&1 || true ;;
esac
