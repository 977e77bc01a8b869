#!/usr/bin/env bash
# The cost of the role check: GET /api/v1/apps/{app} with a viewer's token
# (token → user, acting team, role, then the app looked up in that team)
# against GET /api/v1/me (token → user only) and GET /healthz (one SQLite
# query), interleaved on one keep-alive connection. Prints medians and p99
# over N requests each and the ratios of medians.
#   bench/rbac.sh [N=500]
source "$(dirname "$0")/lib.sh"
n="${1:-500}"
start_slipway
api POST /api/v1/apps '{"name":"guarded","repo_url":"https://example.invalid/none.git"}' >/dev/null
echo "correct horse battery" | "$bin" user create --email viewer@example.com --password-stdin --team default --role viewer >/dev/null
viewer="$("$bin" token create --email viewer@example.com --name bench | grep -o 'slw_[A-Za-z0-9_]*' | head -1)"
python3 - "$SLIPWAY_LISTEN" "$viewer" "$n" <<'PY'
import http.client, statistics, sys, time
addr, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
auth = {"Authorization": "Bearer " + token}
def timed(path, headers):
    t = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse(); r.read()
    assert r.status == 200, (path, r.status)
    return time.perf_counter() - t
runs = {"GET /healthz": ("/healthz", {}), "GET /api/v1/me (token only)": ("/api/v1/me", auth),
        "GET /api/v1/apps/guarded (viewer role)": ("/api/v1/apps/guarded", auth)}
times = {k: [] for k in runs}
for _ in range(n):
    for k, (path, headers) in runs.items():
        times[k].append(timed(path, headers))
ms = lambda xs: statistics.median(xs) * 1000
p99 = lambda xs: sorted(xs)[int(len(xs) * 0.99) - 1] * 1000
for k, xs in times.items():
    print(f"{k:42s} median {ms(xs):.3f} ms  p99 {p99(xs):.3f} ms  (n={n})")
base, me, app = (statistics.median(times[k]) for k in runs)
print(f"role-checked app read / token-only read: {app / me:.2f}x;  / healthz: {app / base:.2f}x")
PY
