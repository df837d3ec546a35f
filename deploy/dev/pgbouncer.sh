#!/usr/bin/env bash
# Makes sure PgBouncer answers on 127.0.0.1:6432 in transaction pooling mode,
# in front of the PostgreSQL of deploy/dev/services.sh (127.0.0.1:5432): starts
# it with its own configuration when it is installed, installs Debian's
# `pgbouncer` package when missing (as root). Used by `make test-pgbouncer`
# (CI), which runs the gateway's and the subgraphs' tests through it.
#
# What the product needs from a PgBouncer in transaction mode
# (docs/operations.md, PgBouncer):
#   - the pool's startup parameters search_path='' and statement_timeout
#     are refused by PgBouncer < 1.20 (and search_path is never tracked), so
#     they are ignored here and every server connection gets them from
#     connect_query instead: a statement outside a tenant transaction still
#     finds no tenant's tables.
#   - PgBouncer < 1.21 has no max_prepared_statements: pgx must then not
#     cache named prepared statements across transactions, so DATABASE_URL
#     carries default_query_exec_mode=cache_describe (printed below). From
#     1.21 on this script sets max_prepared_statements and the URL needs
#     nothing.
#   - LISTEN (the outbox relay's wake-up) does not survive transaction
#     pooling: the relay listens on DATABASE_DIRECT_URL.
set -euo pipefail

PORT=${PGBOUNCER_PORT:-6432}
POOL_SIZE=${PGBOUNCER_POOL_SIZE:-40}

log() { printf 'pgbouncer: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

listening 5432 || die "PostgreSQL is not up on 127.0.0.1:5432 (deploy/dev/services.sh starts it)"

if ! command -v pgbouncer >/dev/null; then
  [ "$(id -u)" = 0 ] || die "pgbouncer missing and not root: install it (Debian: apt-get install pgbouncer)"
  log "installing pgbouncer"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; } ||
    die "apt-get install pgbouncer failed"
fi

# 1.18.0 -> 1018
version=$(pgbouncer --version | awk 'NR == 1 {print $2}')
numeric=$(awk -F. '{printf "%d%03d", $1, $2}' <<<"$version")

print_urls() {
  local params="sslmode=disable"
  [ "$numeric" -lt 1021 ] && params="$params&default_query_exec_mode=cache_describe"
  log "PgBouncer $version on 127.0.0.1:$PORT (transaction pooling)"
  # Shell assignments (quoted: the URL holds an &), for eval.
  echo "TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$PORT/postgres?$params'"
  echo "TEST_DATABASE_DIRECT_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'"
}

if listening "$PORT"; then
  print_urls
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  dir=/var/lib/opencrm-pgbouncer run_as=(-u postgres)
  mkdir -p "$dir" && chown postgres "$dir"
else
  dir=${TMPDIR:-/tmp}/opencrm-pgbouncer-$(id -u) run_as=()
  mkdir -p "$dir"
fi

prepared=""
[ "$numeric" -ge 1021 ] && prepared="max_prepared_statements = 200"

# auth_type any: development trusts localhost (the PostgreSQL behind it does
# too); every database is reached as postgres. Servers are closed after 10 s
# idle so that the tests' DROP DATABASE ... WITH (FORCE) finds few of them.
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432 user=postgres connect_query='SELECT set_config(''search_path'', '''', false), set_config(''statement_timeout'', ''30s'', false)'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 2000
default_pool_size = $POOL_SIZE
reserve_pool_size = 10
max_db_connections = $POOL_SIZE
server_idle_timeout = 10
ignore_startup_parameters = extra_float_digits,search_path,statement_timeout
$prepared
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
admin_users = postgres
log_connections = 0
log_disconnections = 0
EOF
[ "$(id -u)" = 0 ] && chown postgres "$dir/pgbouncer.ini"

log "starting PgBouncer $version"
pgbouncer -d "${run_as[@]}" "$dir/pgbouncer.ini" || die "PgBouncer did not start (see $dir/pgbouncer.log)"
for _ in $(seq 1 40); do listening "$PORT" && { print_urls; exit 0; }; sleep 0.25; done
die "PgBouncer did not come up on 127.0.0.1:$PORT (see $dir/pgbouncer.log)"
