#!/usr/bin/env bash
# Webhook delivery latency: the time until Slipway answers 202 to a signed
# GitHub push (verified, recorded and the deployment queued in SQLite),
# against GET /healthz (one SQLite query) on the same keep-alive connection.
# Prints medians and p99 over N requests each, and the ratio of medians.
#   bench/webhook.sh [N=300]
source "$(dirname "$0")/lib.sh"
n="${1:-300}"
start_slipway
app="hooked"
api POST /api/v1/apps '{"name":"'"$app"'","repo_url":"https://example.invalid/none.git"}' >/dev/null
secret="$(api POST "/api/v1/apps/$app/webhook" '{}' | json '["secret"]')"
# No worker should spend CPU on these deployments during the measurement: the
# repository doesn't exist, so each fails at clone (and most are superseded).
python3 - "$SLIPWAY_LISTEN" "$app" "$secret" "$n" <<'PY'
import hashlib, hmac, http.client, json, statistics, sys, time, uuid
addr, app, secret, n = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
def timed(method, path, body=None, headers={}):
    t = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse(); r.read()
    return time.perf_counter() - t, r.status
health, hook = [], []
for i in range(n):
    dt, status = timed("GET", "/healthz"); assert status == 200; health.append(dt)
    body = json.dumps({"ref": "refs/heads/main", "after": "%040x" % (i + 1), "deleted": False,
                       "head_commit": {"id": "%040x" % (i + 1), "message": "bench %d" % i},
                       "pusher": {"name": "bench"}}).encode()
    sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    dt, status = timed("POST", "/hooks/" + app, body, {"X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4()),
                                                       "X-Hub-Signature-256": sig, "Content-Type": "application/json"})
    assert status == 202, status
    hook.append(dt)
ms = lambda xs: statistics.median(xs) * 1000
p99 = lambda xs: sorted(xs)[int(len(xs) * 0.99) - 1] * 1000
print(f"GET /healthz        median {ms(health):.2f} ms  p99 {p99(health):.2f} ms  (n={n})")
print(f"webhook push → 202  median {ms(hook):.2f} ms  p99 {p99(hook):.2f} ms  (n={n})")
print(f"ratio of medians: {statistics.median(hook) / statistics.median(health):.2f}x")
PY
rss_kb="$(ps -o rss= -p "$(pgrep -f "slipway serve --data-dir $SLIPWAY_DATA_DIR" | head -1)")"
echo "dashboard RSS after the run: $((rss_kb / 1024)) MB"
