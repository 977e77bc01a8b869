#!/usr/bin/env bash
# Zero downtime: constant load through the edge proxy (wrk, keep-alive) while
# the app is redeployed REDEPLOYS times in a row (default 10). Every redeploy
# starts new replicas, waits until healthy, switches the route, drains and
# stops the old ones. Target: 0 failed requests (non-2xx/3xx or socket errors).
#   bench/zero-downtime.sh [REDEPLOYS] [REPLICAS]
source "$(dirname "$0")/lib.sh"
redeploys="${1:-10}"; replicas="${2:-2}"
start_slipway
repo="$work/repo"; make_repo "$repo"
api POST /api/v1/apps "{\"name\":\"steady\",\"repo_url\":\"$repo\",\"health_path\":\"/healthz\",\"replicas\":$replicas}" >/dev/null
first="$(api POST /api/v1/apps/steady/deployments '{}' | json "['id']")"
[ "$(wait_done "$first")" = live ] || { echo "first deployment failed" >&2; exit 1; }

wrk -t2 -c16 -d600s --latency -H "Host: steady.localhost" "http://127.0.0.1:$edge_port/" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
sleep 2
t0=$(now)
for i in $(seq "$redeploys"); do
  id="$(api POST "/api/v1/deployments/$first/redeploy" '{}' | json "['id']")"
  status="$(wait_done "$id")"
  echo "redeploy $i: deployment #$id $status"
  [ "$status" = live ] || exit 1
done
sleep 2
kill -INT "$wrk_pid"; wait "$wrk_pid" || true
t1=$(now)
cat "$work/wrk.txt"
requests=$(grep -Eo '^ +[0-9]+ requests' "$work/wrk.txt" | grep -Eo '[0-9]+' || echo 0)
non2xx=$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+' "$work/wrk.txt" | grep -Eo '[0-9]+$' || echo 0)
sockets=$(grep -Eo 'Socket errors: .*' "$work/wrk.txt" | grep -Eo '[0-9]+' | paste -sd+ | bc 2>/dev/null || echo 0)
printf '\n%s redeploys (%s replicas each) in %.1f s under load: %s requests, %s non-2xx/3xx, %s socket errors -> %s failed (target 0)\n' \
  "$redeploys" "$replicas" "$(echo "$t1 - $t0" | bc)" "$requests" "$non2xx" "${sockets:-0}" "$(( non2xx + ${sockets:-0} ))"
