#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 for the tests and benchmarks.
#
#   eval "$(bash scripts/pg-start.sh)"      # exports DATABASE_URL and BEARLUMEN_PG_DIR
#   npm test
#   bash scripts/pg-stop.sh                  # stops it and deletes its data directory
#
# Environment (all optional):
#   BEARLUMEN_PG_PORT     port to listen on (default: the first free one of 54329…54348)
#   BEARLUMEN_PG_DIR      data directory; must not exist yet (default: a new mktemp directory)
#   BEARLUMEN_PG_INSTALL  1 = apt-get install postgresql when no server binaries are found
#                         (as root, or through passwordless sudo; .ci/run sets it)
#
# Only the `export …` lines go to stdout, so `eval` is safe; progress and errors go to stderr.
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user (created by
# the Debian package) or, failing that, `nobody`.
set -euo pipefail

log() { printf 'pg-start: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A port is taken when something accepts TCP connections on it (bash's /dev/tcp, no extra tools).
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -n "${BEARLUMEN_PG_PORT:-}" ]; then
  port="$BEARLUMEN_PG_PORT"
  ! port_taken "$port" || die "port $port on 127.0.0.1 is already in use"
else
  port=""
  for candidate in $(seq 54329 54348); do
    if ! port_taken "$candidate"; then port="$candidate"; break; fi
  done
  [ -n "$port" ] || die "ports 54329-54348 on 127.0.0.1 are all in use; set BEARLUMEN_PG_PORT"
fi

find_bindir() {
  local d
  # Newest installed major version first (Debian layout), then whatever is on PATH.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  return 1
}

bindir="$(find_bindir || true)"
if [ -z "$bindir" ]; then
  [ "${BEARLUMEN_PG_INSTALL:-0}" = "1" ] || die "no PostgreSQL server binaries (initdb, pg_ctl) found; install them (Debian: apt-get install -y postgresql) or set BEARLUMEN_PG_INSTALL=1"
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL found and no apt-get to install it; install PostgreSQL's server binaries"
  sudo=()
  if [ "$(id -u)" != "0" ]; then
    sudo -n true 2>/dev/null || die "installing PostgreSQL needs root (or passwordless sudo)"
    sudo=(sudo -n)
  fi
  log "installing PostgreSQL from Debian packages"
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update >&2 || die "apt-get update failed"
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2 \
    || die "apt-get install postgresql failed"
  bindir="$(find_bindir || true)"
  [ -n "$bindir" ] || die "postgresql installed but initdb/pg_ctl not found under /usr/lib/postgresql/*/bin"
fi
log "using $bindir"

run_as=()
if [ "$(id -u)" = "0" ]; then
  user=postgres
  id -u "$user" >/dev/null 2>&1 || user=nobody
  command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (util-linux) to drop to '$user'"
  run_as=(runuser -u "$user" --)
fi

if [ -n "${BEARLUMEN_PG_DIR:-}" ]; then
  dir="$BEARLUMEN_PG_DIR"
  [ ! -e "$dir" ] || die "$dir already exists; stop the old cluster first (bash scripts/pg-stop.sh) or choose another BEARLUMEN_PG_DIR"
  mkdir -p "$dir"
else
  # As root, the cluster user must be able to reach the directory: use /tmp, not a private TMPDIR.
  parent="${TMPDIR:-/tmp}"
  [ "${#run_as[@]}" -eq 0 ] || parent=/tmp
  dir="$(mktemp -d "$parent/bearlumen-pg.XXXXXX")"
fi
chmod 700 "$dir"
[ "${#run_as[@]}" -eq 0 ] || chown "$user" "$dir"

# The server's cwd must be readable by the cluster user; the repo may not be.
cd "$dir"
# trust auth is fine: the cluster listens on 127.0.0.1 only and its socket sits in its own 0700 dir.
${run_as[@]+"${run_as[@]}"} "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; die "initdb failed (log above)"; }

${run_as[@]+"${run_as[@]}"} "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -h 127.0.0.1 -k $dir -c max_connections=200" start >&2 \
  || { cat "$dir/server.log" >&2 || true; die "pg_ctl start failed on port $port (log above; is the port taken?)"; }

# pg_ctl -w already waited; pg_isready confirms that TCP on 127.0.0.1 accepts connections.
ready=0
for _ in $(seq 1 60); do
  if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || { cat "$dir/server.log" >&2 || true; die "server on 127.0.0.1:$port not ready after 30 s"; }

log "PostgreSQL ready on 127.0.0.1:$port (data in $dir)"
echo "export BEARLUMEN_PG_DIR='$dir'"
echo "export BEARLUMEN_PG_BINDIR='$bindir'"
echo "export DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'"
