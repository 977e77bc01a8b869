# Shared by the benchmarks: a throw-away Slipway (release build) with its own
# data dir, dashboard and edge ports, an owner account and an API token.
# Source it; it defines `api`, `wait_done`, `median`, and cleans up on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/target/release/slipway"
[ -x "$bin" ] || (cd "$root" && cargo build --release -p slipway-web --bin slipway)

work="$(mktemp -d /tmp/slipway-bench.XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export SLIPWAY_DATA_DIR="$work/data"
export SLIPWAY_LISTEN="127.0.0.1:$(free_port)"
export SLIPWAY_EDGE_LISTEN="127.0.0.1:$(free_port)"
export SLIPWAY_EDGE_ADMIN="127.0.0.1:$(free_port)"
export SLIPWAY_DOCKER_NETWORK=slipway-bench
export SLIPWAY_SITE_ROOT="$root/target/site"
export RUST_LOG=warn
base="http://$SLIPWAY_LISTEN"
edge_port="${SLIPWAY_EDGE_LISTEN##*:}"

cleanup() {
  pkill -f "slipway (serve|edge) .*$work" 2>/dev/null || true
  pkill -f "slipway-bench" 2>/dev/null || true
  [ -n "${install_key:-}" ] && docker rm -f $(docker ps -aq --filter "label=io.slipway.installation=$install_key") >/dev/null 2>&1 || true
  docker rm -f $(docker ps -aq --filter "label=io.slipway.bench") >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

start_slipway() {
  echo "correct horse battery" | "$bin" user create --email bench@example.com --password-stdin >/dev/null
  token="$("$bin" token create --email bench@example.com --name bench | grep -o 'slw_[A-Za-z0-9_]*' | head -1)"
  install_key="$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT key FROM installation').fetchone()[0])" "$SLIPWAY_DATA_DIR/slipway.db")"
  "$bin" serve --data-dir "$SLIPWAY_DATA_DIR" >"$work/serve.log" 2>&1 &
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && return; sleep 0.1; done
  echo "slipway did not start; see $work/serve.log" >&2; exit 1
}

api() { # METHOD PATH [JSON]
  curl -sf -X "$1" -H "Authorization: Bearer $token" -H 'content-type: application/json' ${3:+-d "$3"} "$base$2"
}

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# Waits until deployment $1 is over (the log stream's `end` event, sent the
# moment it ends, so the measurement adds no polling delay); prints its status.
wait_done() {
  { curl -sN -H "Authorization: Bearer $token" -H 'Accept: text/event-stream' "$base/api/v1/deployments/$1/logs" \
    | awk '/^event: end/ {getline; sub(/^data: ?/, ""); print; exit}'; } || true
}

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# A repository for the fixture app: busybox httpd serving www/ on 8080.
make_repo() { # DIR
  mkdir -p "$1/www" && cd "$1" && git init -q -b main
  cp /bin/busybox busybox && echo "bench" > www/index.html && echo ok > www/healthz
  printf 'FROM scratch\nENV BENCH_RUN=0\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nCOPY www /www\nEXPOSE 8080\nCMD ["/bin/httpd","-f","-p","8080","-h","/www"]\n' > Dockerfile
  git add -A && git -c user.name=bench -c user.email=bench@example.com commit -qm "fixture" && cd - >/dev/null
}

# Commits a change that makes every build step new (a cold build: no layer
# of an earlier run can be reused): a unique ENV right after FROM.
cold_commit() { # DIR
  (cd "$1" && local_id="$(date +%s%N)" \
    && sed -i "2s/.*/ENV BENCH_RUN=$local_id/" Dockerfile \
    && git add -A && git -c user.name=bench -c user.email=bench@example.com commit -qm "change $local_id")
}
