#!/usr/bin/env bash
# Pipeline overhead: Slipway deploying the fixture app vs a shell script doing
# the same steps with the docker CLI (git clone, docker build, docker run
# published on 127.0.0.1, wait until /healthz answers, remove the previous
# container). Alternating, RUNS runs each (default 5), medians, as a ratio.
# Then a redeploy of an unchanged commit (Slipway skips the build).
#   bench/pipeline.sh [RUNS]
source "$(dirname "$0")/lib.sh"
runs="${1:-5}"
start_slipway
repo="$work/repo"; make_repo "$repo"
api POST /api/v1/apps "{\"name\":\"bench\",\"repo_url\":\"$repo\",\"health_path\":\"/healthz\"}" >/dev/null

baseline_previous=""
baseline() { # one cold deploy with the docker CLI
  local dir="$work/clone-$RANDOM$RANDOM" tag="bench-cli:$RANDOM$RANDOM" name="bench-cli-$RANDOM$RANDOM"
  git clone -q "$repo" "$dir"
  docker build -q --memory 2g -t "$tag" "$dir" >/dev/null
  docker run -d --init --name "$name" --label io.slipway.bench=1 -p 127.0.0.1::8080 "$tag" >/dev/null
  local port; port="$(docker port "$name" 8080/tcp | head -1 | sed 's/.*://')"
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
  [ -n "$baseline_previous" ] && docker rm -f "$baseline_previous" >/dev/null
  baseline_previous="$name"
  rm -rf "$dir"
}

slipway() { # one deploy through Slipway; prints the deployment id
  local id; id="$(api POST /api/v1/apps/bench/deployments '{}' | json "['id']")"
  [ "$(wait_done "$id")" = live ] || { echo "deployment $id failed:" >&2; api GET "/api/v1/deployments/$id" >&2; exit 1; }
  echo "$id"
}

# Warm-up (first network creation, page cache), not measured.
cold_commit "$repo"; baseline; slipway >/dev/null

: >"$work/cli"; : >"$work/slipway"; : >"$work/redeploy"; : >"$work/cli-warm"
for i in $(seq "$runs"); do
  cold_commit "$repo"
  t0=$(now); baseline; t1=$(now); echo "$t1 - $t0" | bc >>"$work/cli"
  cold_commit "$repo"
  t0=$(now); id=$(slipway); t1=$(now); echo "$t1 - $t0" | bc >>"$work/slipway"
  # The same commit again: docker CLI with a warm layer cache, Slipway's redeploy (build skipped).
  t0=$(now); baseline; t1=$(now); echo "$t1 - $t0" | bc >>"$work/cli-warm"
  t0=$(now); rid="$(api POST "/api/v1/deployments/$id/redeploy" '{}' | json "['id']")"; [ "$(wait_done "$rid")" = live ]; t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/redeploy"
  echo "run $i: cli $(tail -1 "$work/cli") s, slipway $(tail -1 "$work/slipway") s, cli same commit $(tail -1 "$work/cli-warm") s, slipway redeploy $(tail -1 "$work/redeploy") s"
done
cli=$(median <"$work/cli"); sw=$(median <"$work/slipway"); warm=$(median <"$work/cli-warm"); re=$(median <"$work/redeploy")
printf '\nmedians over %s runs:\n' "$runs"
printf '  docker CLI, cold commit:         %.2f s\n' "$cli"
printf '  Slipway, cold commit:            %.2f s   ratio %.2fx (target <= 1.10x)\n' "$sw" "$(echo "$sw / $cli" | bc -l)"
printf '  docker CLI, same commit again:   %.2f s\n' "$warm"
printf '  Slipway redeploy, same commit:   %.2f s   ratio %.2fx of the cold CLI run (target <= 0.5x), %.2fx of the warm CLI run\n' \
  "$re" "$(echo "$re / $cli" | bc -l)" "$(echo "$re / $warm" | bc -l)"
