#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and NATS JetStream answer on 127.0.0.1 (5432,
# 6379, 4222): starts them when they are installed but down, installs them
# from Debian's packages when missing (as root), and fails with a clear
# message when neither is possible. Used by `make run`, `make test` and CI.
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name port
  for _ in $(seq 1 60); do listening "$2" && return 0; sleep 0.5; done
  die "$1 did not come up on 127.0.0.1:$2 (see its log under /var/log)"
}

apt_updated=""
install() { # packages...
  [ "$(id -u)" = 0 ] || die "$* missing and not root: install them (Debian: apt-get install $*) or start the services yourself"
  command -v apt-get >/dev/null || die "$* missing and no apt-get here: install them or point DATABASE_URL/REDIS_URL/NATS_URL at running servers"
  if [ -z "$apt_updated" ]; then
    log "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"; apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

postgres() {
  listening 5432 && return 0
  local fresh=""
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    install postgresql postgresql-contrib; fresh=1
  fi
  local version; version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -n "$fresh" ]; then
    # A fresh Debian cluster asks for passwords on TCP; development trusts localhost.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "PostgreSQL did not start"
  wait_for PostgreSQL 5432
}

redis() {
  listening 6379 && return 0
  command -v redis-server >/dev/null || install redis-server
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/opencrm.log || die "Redis did not start"
  wait_for Redis 6379
}

nats() {
  listening 4222 && return 0
  command -v nats-server >/dev/null || install nats-server
  log "starting NATS with JetStream"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || die "NATS did not start"
  wait_for NATS 4222
}

postgres
redis
nats
log "PostgreSQL :5432, Redis :6379 and NATS JetStream :4222 are up"
