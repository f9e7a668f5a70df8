# shellcheck shell=bash
# Helpers shared by scripts/dev and scripts/test: messages, free ports, child-process
# cleanup, and a private PostgreSQL cluster when DATABASE_URL is not given.

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required: $2"
}

# A TCP port nobody listens on right now.
# Where cargo puts what it builds: CARGO_TARGET_DIR (relative to the repository when
# not absolute), else target/.
cargo_target_dir() {
  local dir="${CARGO_TARGET_DIR:-target}"
  case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
  printf '%s\n' "$dir"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# free_ports N [taken...]: N distinct free ports on one line, none of `taken`. The sockets
# are held open together while choosing, so two separate free_port calls cannot hand out
# the same port (which once made the Temporal dev server's HTTP port collide with its
# gRPC port).
free_ports() {
  python3 -c 'import socket, sys
n, taken = int(sys.argv[1]), {int(p) for p in sys.argv[2:]}
held, ports = [], []
while len(ports) < n:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    port = s.getsockname()[1]
    if port not in taken:
        ports.append(port)
print(" ".join(map(str, ports)))
for s in held:
    s.close()' "$@"
}

# Whether a port can be bound on localhost.
port_is_free() {
  python3 -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# The preferred port if it is free, else any free port.
pick_port() {
  if port_is_free "$1"; then echo "$1"; else free_port; fi
}

# --- cleanup: every child we start is stopped when the script ends, however it ends.
TRACKED_PIDS=()
CLEANUP_COMMANDS=()
track_pid() { TRACKED_PIDS+=("$1"); }
on_cleanup() { CLEANUP_COMMANDS+=("$1"); }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${TRACKED_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  local deadline=$((SECONDS + 10))
  for pid in "${TRACKED_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  local command
  for command in "${CLEANUP_COMMANDS[@]}"; do
    eval "$command" >/dev/null 2>&1 || true
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL

# Directory holding initdb/pg_ctl/psql.
pg_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir)"
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  fi
  for dir in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /opt/homebrew/bin /usr/local/bin /usr/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

# start_private_postgres <data-dir> <port>
# Creates the cluster on first use (trust auth, user postgres) and starts it on
# 127.0.0.1:<port>. As root, the server runs as the `postgres` user. Sets PG_URL.
start_private_postgres() {
  local dir="$1" port="$2"
  local bin
  bin="$(pg_bindir)" || die "PostgreSQL is not installed (no initdb found). Install it (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to a running server."
  local as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' user to run PostgreSQL as; set DATABASE_URL or run as another user"
    as=(runuser -u postgres --)
  fi
  mkdir -p "$dir"
  if [ ${#as[@]} -gt 0 ]; then
    chown postgres: "$dir"
    if ! "${as[@]}" test -w "$dir"; then
      die "the postgres user cannot reach $dir (a parent directory is private); set DATA_DIR to a directory it can reach, e.g. under /tmp"
    fi
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    say "Creating a private PostgreSQL cluster in $dir"
    "${as[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/../postgres-initdb.log" 2>&1 \
      || die "initdb failed; see $dir/../postgres-initdb.log"
  fi
  if "${as[@]}" "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    say "Stopping a PostgreSQL left running in $dir by an earlier run"
    "${as[@]}" "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  "${as[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${PG_FSYNC:-on}" start >/dev/null \
    || { tail -20 "$dir/server.log" >&2; die "PostgreSQL did not start; log: $dir/server.log"; }
  on_cleanup "$(printf '%q ' "${as[@]}") $(printf '%q' "$bin/pg_ctl") -D $(printf '%q' "$dir") -m fast -w stop"
  PG_BIN="$bin"
  PG_URL="postgres://postgres@127.0.0.1:$port"
}

# ensure_database <server-url> <name>: creates the database if it does not exist.
ensure_database() {
  local url="$1" name="$2"
  local exists
  exists="$("$PG_BIN/psql" "$url/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" \
    || die "cannot connect to PostgreSQL at $url"
  if [ "$exists" != 1 ]; then
    "$PG_BIN/psql" "$url/postgres" -qc "CREATE DATABASE \"$name\"" || die "could not create database $name"
  fi
}
