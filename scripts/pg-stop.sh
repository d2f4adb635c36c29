#!/usr/bin/env bash
# Stop the throwaway cluster started by scripts/pg-start.sh and delete its data directory.
# Reads BEARLUMEN_PG_DIR and BEARLUMEN_PG_BINDIR (exported by `eval "$(bash scripts/pg-start.sh)"`).
set -uo pipefail

dir="${BEARLUMEN_PG_DIR:-}"
[ -n "$dir" ] || { echo "pg-stop: BEARLUMEN_PG_DIR is not set; nothing to stop" >&2; exit 0; }
[ -d "$dir/data" ] || { echo "pg-stop: no cluster in $dir" >&2; exit 0; }

bindir="${BEARLUMEN_PG_BINDIR:-$(dirname "$(readlink -f "$(command -v pg_ctl)")")}"
run_as=()
if [ "$(id -u)" = "0" ]; then
  owner="$(stat -c %U "$dir/data")"
  run_as=(runuser -u "$owner" --)
fi

cd "$dir" || exit 1
# fast = roll back open transactions and disconnect clients; never leave a server behind.
${run_as[@]+"${run_as[@]}"} "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 \
  || ${run_as[@]+"${run_as[@]}"} "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2 \
  || echo "pg-stop: could not stop the server in $dir" >&2
cd / && rm -rf "$dir"
echo "pg-stop: stopped and removed $dir" >&2
