#!/usr/bin/env bash
# Make a local PostgreSQL ready for caacwatch's tests and CI, and print its URL.
#
#   url=$(bash scripts/postgres.sh)   # -> postgresql://caacwatch:caacwatch@127.0.0.1:5432/caacwatch
#
# CI runs as root on a fresh Debian 12 machine where only the Debian and PyPI registries are reachable,
# so everything comes from apt: the server is installed if missing, a cluster is created if there is
# none, started if it is down, and a login role and database are created if absent. Every step checks
# before it acts, so running the script twice, or with the server already up, changes nothing.
#
# Only the URL goes to stdout (so it can be captured); progress and errors go to stderr. Exit status is
# non-zero, with a message saying what to do, when any step fails.
#
# Settings (environment, all optional): CAACWATCH_PG_USER, CAACWATCH_PG_PASSWORD, CAACWATCH_PG_DB
# (default caacwatch each), CAACWATCH_PG_WAIT (seconds to wait for the server, default 30).
set -Eeuo pipefail

PG_USER=${CAACWATCH_PG_USER:-caacwatch}
PG_PASSWORD=${CAACWATCH_PG_PASSWORD:-caacwatch}
PG_DB=${CAACWATCH_PG_DB:-caacwatch}
PG_WAIT=${CAACWATCH_PG_WAIT:-30}
HOST=127.0.0.1 # TCP, not the socket: the URL must work for psycopg from any user

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
trap 'log "error: command failed (line $LINENO): $BASH_COMMAND"' ERR

require_root() {
  # apt-get, pg_createcluster and starting a cluster owned by 'postgres' all need root.
  if [ "$(id -u)" -ne 0 ]; then
    die "run as root (CI does), e.g. 'sudo bash $0'; or start PostgreSQL yourself and use its postgresql:// URL."
  fi
}

server_installed() {
  # The client package also ships pg_ctlcluster, so look for the server binary itself.
  command -v pg_ctlcluster >/dev/null 2>&1 && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

install_server() {
  if server_installed; then
    return 0
  fi
  log "installing postgresql with apt-get (quiet)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -qq update >&2 || die "apt-get update failed; check that the Debian mirrors are reachable."
  apt-get -qq install -y --no-install-recommends postgresql >&2 ||
    die "apt-get install postgresql failed; see the messages above."
  server_installed || die "postgresql was installed but no server binary was found under /usr/lib/postgresql."
}

installed_major() {
  # The newest installed server version (15 on Debian 12), not a hard-coded one.
  local dir
  for dir in /usr/lib/postgresql/*/bin/postgres; do
    dir=${dir%/bin/postgres}
    printf '%s\n' "${dir##*/}"
  done | sort -V | tail -n 1
}

# Prints "version name port status" of the cluster to use: a running one if any, else the installed
# version's 'main', else the first listed. Prints nothing when no cluster exists.
pick_cluster() {
  local major=$1
  pg_lsclusters -h | awk -v major="$major" '
    { line = $1 " " $2 " " $3 " " $4 }
    $4 ~ /^online/ && !online { online = line }
    $1 == major && $2 == "main" { main = line }
    !first { first = line }
    END { if (online) print online; else if (main) print main; else if (first) print first }'
}

ensure_cluster() {
  local major=$1 picked
  picked=$(pick_cluster "$major")
  if [ -z "$picked" ]; then
    log "no PostgreSQL cluster: creating $major/main"
    pg_createcluster "$major" main >&2 || die "pg_createcluster $major main failed; see the messages above."
    picked=$(pick_cluster "$major")
    [ -n "$picked" ] || die "pg_createcluster reported success but pg_lsclusters lists no cluster."
  fi
  printf '%s\n' "$picked"
}

start_cluster() {
  local version=$1 name=$2 status=$3
  if [[ $status == online* ]]; then
    log "cluster $version/$name is already running"
    return 0
  fi
  # The socket directory lives on a tmpfs on real machines and may be gone after a reboot.
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  log "starting cluster $version/$name"
  pg_ctlcluster "$version" "$name" start >&2 ||
    die "could not start cluster $version/$name; read /var/log/postgresql/postgresql-$version-$name.log."
}

wait_ready() {
  local port=$1 waited=0
  until pg_isready -q -h "$HOST" -p "$port" -t 1; do
    waited=$((waited + 1))
    if [ "$waited" -ge "$PG_WAIT" ]; then
      die "the server on $HOST:$port did not accept connections within ${PG_WAIT}s; check its log in /var/log/postgresql/."
    fi
    sleep 1
  done
}

as_postgres_psql() {
  # Superuser access through the local socket with peer authentication, as the 'postgres' OS user.
  # cd / so that psql does not warn about a home directory 'postgres' cannot read.
  local port=$1
  shift
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@")
}

ensure_role_and_database() {
  local port=$1
  log "ensuring role '$PG_USER' (LOGIN, CREATEDB) and database '$PG_DB' owned by it"
  # psql variables (:'x' literal, :"x" identifier) quote the values; \gexec runs CREATE only when absent,
  # and CREATE DATABASE cannot run inside a DO block. ALTER ROLE resets the password on every run.
  as_postgres_psql "$port" -v user="$PG_USER" -v password="$PG_PASSWORD" -v db="$PG_DB" >&2 <<'SQL' ||
SELECT format('CREATE ROLE %I', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user')
\gexec
ALTER ROLE :"user" WITH LOGIN CREATEDB PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
ALTER DATABASE :"db" OWNER TO :"user";
SQL
    die "could not create the role or database; see the psql messages above."
}

check_login() {
  # Prove the URL works the way clients will use it: TCP to 127.0.0.1 with the password.
  local port=$1
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -At -h "$HOST" -p "$port" -U "$PG_USER" -d "$PG_DB" \
    -c 'SELECT 1' >/dev/null ||
    die "cannot log in as '$PG_USER' on $HOST:$port; check pg_hba.conf allows password (scram-sha-256) on 127.0.0.1."
}

main() {
  require_root
  install_server
  local major cluster version name port status
  major=$(installed_major)
  [ -n "$major" ] || die "no PostgreSQL server version found under /usr/lib/postgresql."
  cluster=$(ensure_cluster "$major") || exit 1 # a die inside $(...) only ends the subshell
  read -r version name port status <<<"$cluster"
  start_cluster "$version" "$name" "$status"
  wait_ready "$port"
  ensure_role_and_database "$port"
  check_login "$port"
  log "ready: cluster $version/$name on port $port"
  printf 'postgresql://%s:%s@%s:%s/%s\n' "$PG_USER" "$PG_PASSWORD" "$HOST" "$port" "$PG_DB"
}

main "$@"
