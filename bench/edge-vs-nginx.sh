#!/usr/bin/env bash
# The edge proxy vs nginx, both proxying to the same upstream (an nginx serving
# a small static file with keep-alive), wrk on loopback. Alternating runs
# (default 5) of DURATION seconds (default 10); medians of requests/s and p99.
# Requests/s under saturation (wrk -c32); p99 latency both under saturation
# (on 2 shared cores that tail is mostly scheduling noise) and under light load
# (wrk -c4), where it shows what the proxy itself adds.
# Targets: edge >= 0.9x nginx's requests/s, < 1 ms added p99 latency.
#   bench/edge-vs-nginx.sh [RUNS] [DURATION]
source "$(dirname "$0")/lib.sh"
runs="${1:-5}"; duration="${2:-10}"
up_port=$(free_port); nginx_port=$(free_port)
mkdir -p "$work/nginx/www" && echo "hello from upstream" >"$work/nginx/www/index.html"
chmod 755 "$work" && chmod -R a+rX "$work/nginx"   # nginx's workers run as nobody
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream app { server 127.0.0.1:$up_port; keepalive 64; }
  server { listen 127.0.0.1:$up_port; root $work/nginx/www; keepalive_requests 100000; }
  server {
    listen 127.0.0.1:$nginx_port;
    keepalive_requests 100000;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
trap 'nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -s stop 2>/dev/null || true; cleanup' EXIT

# The edge alone (no dashboard), routing app "bench" to the upstream.
"$bin" user create --email x@example.com --password-stdin <<<"correct horse battery" >/dev/null   # creates and migrates the database
python3 - "$SLIPWAY_DATA_DIR/slipway.db" "$up_port" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
v = db.execute("UPDATE edge_version SET version = version + 1 RETURNING version").fetchone()[0]
db.execute("INSERT OR REPLACE INTO edge_routes (app, deployment_id, backends, version) VALUES ('bench', 0, ?, ?)", (f'["127.0.0.1:{sys.argv[2]}"]', v))
db.commit()
PY
"$bin" edge --data-dir "$SLIPWAY_DATA_DIR" >"$work/edge.log" 2>&1 &
for _ in $(seq 100); do curl -sf -H "Host: bench.localhost" "http://127.0.0.1:$edge_port/" >/dev/null && break; sleep 0.1; done
curl -sf -H "Host: bench.localhost" "http://127.0.0.1:$edge_port/" >/dev/null || { echo "the edge does not proxy to the upstream" >&2; exit 1; }

measure() { # URL [CONNECTIONS] → "rps p99_ms"
  wrk -t1 -c"${2:-32}" -d"${duration}s" --latency -H "Host: bench.localhost" "$1" >"$work/wrk.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$work/wrk.txt")
  echo "$rps $p99"
}
: >"$work/direct"; : >"$work/nginx.r"; : >"$work/edge.r"; : >"$work/nginx.l"; : >"$work/edge.l"
for i in $(seq "$runs"); do
  d=$(measure "http://127.0.0.1:$up_port/"); echo "$d" >>"$work/direct"
  n=$(measure "http://127.0.0.1:$nginx_port/"); echo "$n" >>"$work/nginx.r"
  e=$(measure "http://127.0.0.1:$edge_port/"); echo "$e" >>"$work/edge.r"
  nl=$(measure "http://127.0.0.1:$nginx_port/" 4); echo "$nl" >>"$work/nginx.l"
  el=$(measure "http://127.0.0.1:$edge_port/" 4); echo "$el" >>"$work/edge.l"
  echo "run $i (rps p99ms): upstream $d | nginx $n | edge $e | light load: nginx $nl | edge $el"
done
col() { awk "{print \$$1}" "$2" | median; }
n_rps=$(col 1 "$work/nginx.r"); e_rps=$(col 1 "$work/edge.r"); d_p99=$(col 2 "$work/direct")
n_p99=$(col 2 "$work/nginx.r"); e_p99=$(col 2 "$work/edge.r")
nl_p99=$(col 2 "$work/nginx.l"); el_p99=$(col 2 "$work/edge.l")
printf '\nmedians over %s runs of %ss (wrk -t1 -c32, keep-alive, loopback, 2 cores shared by wrk, proxy and upstream):\n' "$runs" "$duration"
printf '  upstream direct:  p99 %.3f ms\n' "$d_p99"
printf '  nginx proxy:      %.0f req/s, p99 %.3f ms\n' "$n_rps" "$n_p99"
printf '  Slipway edge:     %.0f req/s, p99 %.3f ms\n' "$e_rps" "$e_p99"
printf '  light load (wrk -c4): nginx p99 %.3f ms, edge p99 %.3f ms\n' "$nl_p99" "$el_p99"
printf '  edge/nginx requests/s: %.2fx (target >= 0.9x)\n' "$(echo "$e_rps / $n_rps" | bc -l)"
printf '  p99 added by the edge vs nginx: %+.3f ms under light load, %+.3f ms saturated (target < 1 ms)\n' \
  "$(echo "$el_p99 - $nl_p99" | bc -l)" "$(echo "$e_p99 - $n_p99" | bc -l)"
